// The DAG as Graphviz DOT, for /debug/dag (Contour v0.15's internal/debug/dot.go).
//
// The picture is Contour's: listener → virtual host → route / tcp proxy → cluster → service, and
// secure virtual host → secret, every node a record with Contour's label. Contour names nodes by
// their addresses; ours are n0, n1, … in the order they are written, so that identical DAGs give
// identical text. A service or secret used by several clusters or hosts is written once, as
// Contour's shared nodes are. Label text is escaped, where Contour wrote it raw.
#ifndef CONTOUR_DAG_DOT_H_
#define CONTOUR_DAG_DOT_H_

#include <string>

#include "absl/functional/function_ref.h"
#include "dag/dag.h"

namespace contour::dag {

// Clusters are labelled "ns/name/port" (no strategy hash: that is the translator's business).
std::string DagToDot(const Dag& dag);

// Clusters are labelled by `cluster_name`: pass translate::ClusterName for Contour's labels.
std::string DagToDot(const Dag& dag, absl::FunctionRef<std::string(const Cluster&)> cluster_name);

// `text` with the characters that DOT record labels treat specially ({ } | < > " and backslash)
// escaped, and newlines written as DOT's \n.
std::string EscapeDotRecordLabel(const std::string& text);

}  // namespace contour::dag

#endif  // CONTOUR_DAG_DOT_H_
