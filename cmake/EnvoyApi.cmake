# Generates Envoy's v3 API (protobuf + gRPC) in the build tree from the .proto files that the
# pinned npm package ships, and builds it once as its own library: edits to our code never
# regenerate or recompile it.
#
# With CONTOUR_ENVOY_API_DIR set to another build tree, that tree's generated library is used
# instead (a second build directory then costs no proto compile).

set(CONTOUR_ENVOY_API_DIR "" CACHE PATH "Build tree whose envoy_api library to reuse")

if(CONTOUR_ENVOY_API_DIR)
  add_library(envoy_api STATIC IMPORTED GLOBAL)
  set_target_properties(envoy_api PROPERTIES
    IMPORTED_LOCATION "${CONTOUR_ENVOY_API_DIR}/libenvoy_api.a"
    INTERFACE_INCLUDE_DIRECTORIES "${CONTOUR_ENVOY_API_DIR}/envoy_api_gen")
  target_link_libraries(envoy_api INTERFACE gRPC::grpc++ protobuf::libprotobuf)
  return()
endif()

set(ENVOY_PROTO_DEPS "${CMAKE_SOURCE_DIR}/tools/xds-peer/node_modules/@grpc/grpc-js-xds/deps")
set(ENVOY_PROTO_DIR "${CMAKE_BINARY_DIR}/envoy_api_proto")
set(ENVOY_GEN_DIR "${CMAKE_BINARY_DIR}/envoy_api_gen")
set(ENVOY_ROOTS "${CMAKE_SOURCE_DIR}/api/envoy_roots.txt")

if(NOT EXISTS "${ENVOY_PROTO_DEPS}/envoy-api")
  message(FATAL_ERROR "Envoy .proto files missing under ${ENVOY_PROTO_DEPS}: run scripts/setup.sh")
endif()

execute_process(
  COMMAND "${Python3_EXECUTABLE}" "${CMAKE_SOURCE_DIR}/cmake/proto_closure.py"
          "${ENVOY_ROOTS}" "${ENVOY_PROTO_DEPS}" "${ENVOY_PROTO_DIR}"
  OUTPUT_VARIABLE ENVOY_PROTOS
  RESULT_VARIABLE closure_result)
if(NOT closure_result EQUAL 0)
  message(FATAL_ERROR "computing the Envoy proto closure failed")
endif()
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
  "${ENVOY_ROOTS}" "${CMAKE_SOURCE_DIR}/cmake/proto_closure.py")
string(REPLACE "\n" ";" ENVOY_PROTOS "${ENVOY_PROTOS}")
list(FILTER ENVOY_PROTOS EXCLUDE REGEX "^$")

set(envoy_sources "")
set(envoy_grpc_protos "")
foreach(proto IN LISTS ENVOY_PROTOS)
  string(REGEX REPLACE "\\.proto$" "" stem "${proto}")
  list(APPEND envoy_sources "${ENVOY_GEN_DIR}/${stem}.pb.cc")
  file(STRINGS "${ENVOY_PROTO_DIR}/${proto}" service_lines REGEX "^service ")
  if(service_lines)
    list(APPEND envoy_grpc_protos "${proto}")
    list(APPEND envoy_sources "${ENVOY_GEN_DIR}/${stem}.grpc.pb.cc")
  endif()
endforeach()

set(envoy_outputs "")
foreach(src IN LISTS envoy_sources)
  string(REGEX REPLACE "\\.cc$" ".h" header "${src}")
  list(APPEND envoy_outputs "${src}" "${header}")
endforeach()

get_target_property(grpc_plugin gRPC::grpc_cpp_plugin LOCATION)
list(TRANSFORM ENVOY_PROTOS PREPEND "${ENVOY_PROTO_DIR}/" OUTPUT_VARIABLE proto_paths)
add_custom_command(
  OUTPUT ${envoy_outputs}
  COMMAND ${CMAKE_COMMAND} -E make_directory "${ENVOY_GEN_DIR}"
  COMMAND protobuf::protoc -I "${ENVOY_PROTO_DIR}" --cpp_out "${ENVOY_GEN_DIR}" ${ENVOY_PROTOS}
  COMMAND protobuf::protoc -I "${ENVOY_PROTO_DIR}" --grpc_out "${ENVOY_GEN_DIR}"
          --plugin=protoc-gen-grpc=${grpc_plugin} ${envoy_grpc_protos}
  DEPENDS ${proto_paths}
  WORKING_DIRECTORY "${ENVOY_PROTO_DIR}"
  COMMENT "Generating the Envoy v3 API (${CMAKE_MATCH_COUNT}protobuf + gRPC)"
  VERBATIM)

add_library(envoy_api STATIC ${envoy_sources})
target_include_directories(envoy_api SYSTEM PUBLIC "${ENVOY_GEN_DIR}")
target_link_libraries(envoy_api PUBLIC gRPC::grpc++ protobuf::libprotobuf)
# Generated code: optimise, no debug info (it would be ~200 MB), no warnings.
target_compile_options(envoy_api PRIVATE -O2 -g0 -w)
set_target_properties(envoy_api PROPERTIES ARCHIVE_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}")
