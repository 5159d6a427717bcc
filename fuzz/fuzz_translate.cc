// libFuzzer target: arbitrary bytes → decoder → cache → DAG → translators → JSON printing.
// Any crash, sanitizer report or leak is a bug; each one found becomes a file in
// fuzz/regressions/ that run.sh replays before fuzzing.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "cli/resource_printer.h"
#include "k8s/decode.h"
#include "server/offline_pipeline.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  contour::k8s::DecodeResult decoded = contour::k8s::DecodeManifests(text, "fuzz");
  for (const auto& issue : decoded.errors) (void)issue.ToString();
  contour::config::ServeConfig config;
  contour::server::Rendered rendered = contour::server::Render(decoded.objects, config);
  contour::cli::PrintOptions print;
  print.statuses = true;
  (void)contour::cli::RenderedToJson(rendered, print);
  return 0;
}
