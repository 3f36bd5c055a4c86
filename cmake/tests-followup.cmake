# Follow-up: the reminders benchmark (a million pending reminders: memory,
# start-up, lateness).  Figures are printed by ctest in the normal build; the
# sanitizer builds run a small smoke version.
add_executable(bench_reminders ${CMAKE_SOURCE_DIR}/tests/bench/bench_reminders.c)
target_link_libraries(bench_reminders PRIVATE xio_core)
if(NOT XIO_SANITIZE)
  add_test(NAME bench_reminders COMMAND bench_reminders 1000000)
  set_tests_properties(bench_reminders PROPERTIES TIMEOUT 120 LABELS bench)
else()
  add_test(NAME bench_reminders_smoke COMMAND bench_reminders 2000)
endif()
