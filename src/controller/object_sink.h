// The seam between object sources (manifest files now, Kubernetes watches later) and the event
// loop that owns the cache.
#ifndef CONTOUR_CONTROLLER_OBJECT_SINK_H_
#define CONTOUR_CONTROLLER_OBJECT_SINK_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "dag/cache.h"
#include "k8s/objects.h"

namespace contour::controller {

// An object's identity for a deletion: kind (k8s::KindOf's name), namespace, name.
struct ObjectRef {
  std::string kind;
  std::string namespace_;
  std::string name;
};

// Changes that belong together (one file's edit, one relist): applied as one, so that no build
// sees some of them without the others.
struct ObjectChanges {
  std::vector<k8s::Object> upserts;
  std::vector<ObjectRef> deletes;  // applied after the upserts
};

// What every source feeds. Implementations are thread-safe: sources call from their own threads.
class ObjectSink {
 public:
  virtual ~ObjectSink() = default;

  // All of `changes`, atomically with respect to builds. By default one by one.
  virtual void Apply(ObjectChanges changes) {
    for (k8s::Object& object : changes.upserts) Upsert(std::move(object));
    for (ObjectRef& ref : changes.deletes) {
      Delete(std::move(ref.kind), std::move(ref.namespace_), std::move(ref.name));
    }
  }

  // A new or changed object (a source may also repeat an unchanged one).
  virtual void Upsert(k8s::Object object) = 0;
  // `kind` is k8s::KindOf's name ("Ingress", "Endpoints", ...).
  virtual void Delete(std::string kind, std::string namespace_, std::string name) = 0;
  // The source has delivered its initial state: no build is served before every source says so.
  virtual void Synced(std::string source) = 0;

  // Waits until everything given so far has been applied, with what it set off at once (such as
  // requests for Secrets); false on timeout or when the sink is closing. A sink that applies as
  // it is called has nothing to wait for.
  virtual bool Flush(absl::Duration timeout) { return true; }
};

// The cache keeps no Secret that nothing referenced when it arrived; when one becomes referenced
// the loop asks the source that holds it to send it again (through ObjectSink::Upsert). Called on
// the loop's thread, with no lock of the loop held; a source that lacks a key ignores it, unless
// it answers every key (below).
class SecretSupplier {
 public:
  virtual ~SecretSupplier() = default;

  // (namespace, name) of each Secret, sorted.
  virtual void SupplySecrets(const std::vector<dag::ObjectKey>& keys) = 0;

  // True when every key asked for is answered, soon, through the sink: Upsert with the Secret,
  // or Delete("Secret", namespace, name) when it cannot be supplied (absent, or not TLS
  // material). The loop then holds its next build until the answers are in (bounded by a
  // deadline), so that a host does not go out without its certificate for one build. A supplier
  // that ignores what it lacks must say false: the loop would wait for the deadline in vain.
  virtual bool AnswersEveryKey() const { return false; }
};

}  // namespace contour::controller

#endif  // CONTOUR_CONTROLLER_OBJECT_SINK_H_
