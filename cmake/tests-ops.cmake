# Operations: the event-stream benchmark (1,000 WebSocket clients in the
# normal build, a smoke run under the sanitizers) and the deploy files check.
add_executable(bench_events ${CMAKE_SOURCE_DIR}/tests/bench/bench_events.c)
target_include_directories(bench_events PRIVATE ${CMAKE_SOURCE_DIR}/tests/unit)
target_link_libraries(bench_events PRIVATE xio_core)
if(NOT XIO_SANITIZE)
  add_test(NAME bench_events COMMAND bench_events 1000 100)
  set_tests_properties(bench_events PROPERTIES TIMEOUT 300 LABELS bench
    ENVIRONMENT "${XIO_TEST_ENV}")
else()
  add_test(NAME bench_events_smoke COMMAND bench_events 20 10)
  set_tests_properties(bench_events_smoke PROPERTIES TIMEOUT 300
    ENVIRONMENT "${XIO_TEST_ENV}")
endif()

add_test(NAME deploy_files COMMAND bash ${CMAKE_SOURCE_DIR}/tests/deploy/test_deploy.sh)
set_tests_properties(deploy_files PROPERTIES TIMEOUT 600
  ENVIRONMENT "${XIO_TEST_ENV};XIO_BIN=$<TARGET_FILE:xio>")
