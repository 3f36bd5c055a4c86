# Benchmarks: built in every build, run (and their figures printed) by ctest
# in the normal build only — sanitizer builds would measure the sanitizer.
add_executable(bench_engine ${CMAKE_SOURCE_DIR}/tests/bench/bench_engine.c)
target_link_libraries(bench_engine PRIVATE xio_core)
if(NOT XIO_SANITIZE)
  add_test(NAME bench_engine COMMAND bench_engine 10000)
  set_tests_properties(bench_engine PROPERTIES TIMEOUT 600 LABELS bench)
else()
  add_test(NAME bench_engine_smoke COMMAND bench_engine 200)
endif()
