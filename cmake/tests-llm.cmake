# The LLM benchmark: many AI consiliums against tests/fakes/fake_llm.py with a
# fixed reply latency (see tests/bench/bench_llm.c).  Built in every build;
# run with its figures printed in the normal build, as a small smoke run
# under the sanitizers.
add_executable(bench_llm ${CMAKE_SOURCE_DIR}/tests/bench/bench_llm.c)
target_link_libraries(bench_llm PRIVATE xio_adapters xio_core)
if(NOT XIO_SANITIZE)
  add_test(NAME bench_llm COMMAND bench_llm 1000 50 256)
  set_tests_properties(bench_llm PROPERTIES TIMEOUT 600 LABELS bench ENVIRONMENT "${XIO_TEST_ENV}")
else()
  add_test(NAME bench_llm_smoke COMMAND bench_llm 20 10 8)
  set_tests_properties(bench_llm_smoke PROPERTIES TIMEOUT 300 ENVIRONMENT "${XIO_TEST_ENV}")
endif()
