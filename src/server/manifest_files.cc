#include "server/manifest_files.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <system_error>

namespace contour::server {
namespace {

namespace fs = std::filesystem;

void Append(k8s::DecodeResult& into, k8s::DecodeResult&& from) {
  std::move(from.objects.begin(), from.objects.end(), std::back_inserter(into.objects));
  std::move(from.errors.begin(), from.errors.end(), std::back_inserter(into.errors));
  std::move(from.warnings.begin(), from.warnings.end(), std::back_inserter(into.warnings));
}

k8s::DecodeIssue ReadError(const std::string& source, const std::string& message) {
  k8s::DecodeIssue issue;
  issue.source = source;
  issue.message = message;
  return issue;
}

void LoadDirectory(const fs::path& dir, k8s::DecodeResult& result) {
  std::error_code error;
  const std::vector<fs::path> files = ListManifestFiles(dir, error);
  if (error) result.errors.push_back(ReadError(dir.string(), error.message()));
  for (const fs::path& file : files) Append(result, LoadManifestFile(file));
}

}  // namespace

bool IsManifestFile(const fs::path& path) {
  const std::string ext = path.extension().string();
  return ext == ".yaml" || ext == ".yml" || ext == ".json";
}

std::vector<fs::path> ListManifestFiles(const fs::path& dir, std::error_code& error) {
  error.clear();
  std::vector<fs::path> files;
  for (fs::recursive_directory_iterator it(dir, error), end; !error && it != end;
       it.increment(error)) {
    std::error_code type_error;  // a file that vanished meanwhile is just not listed
    if (it->is_regular_file(type_error) && IsManifestFile(it->path())) {
      files.push_back(it->path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

k8s::DecodeResult LoadManifestFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    k8s::DecodeResult result;
    result.errors.push_back(ReadError(path.string(), "cannot be read"));
    return result;
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return k8s::DecodeManifests(text, path.string());
}

k8s::DecodeResult LoadManifests(const std::vector<std::string>& paths) {
  k8s::DecodeResult result;
  for (const std::string& path : paths) {
    if (path == "-") {
      std::string text((std::istreambuf_iterator<char>(std::cin)),
                       std::istreambuf_iterator<char>());
      Append(result, k8s::DecodeManifests(text, "-"));
      continue;
    }
    std::error_code error;
    if (fs::is_directory(path, error)) {
      LoadDirectory(path, result);
    } else if (fs::exists(path, error)) {
      Append(result, LoadManifestFile(path));
    } else {
      result.errors.push_back(ReadError(path, "no such file or directory"));
    }
  }
  return result;
}

}  // namespace contour::server
