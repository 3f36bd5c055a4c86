# The side-by-side benchmark (tests/bench/sidebyside/): fake_tg is the fake
# Telegram Bot API that drives the load and measures each bot; run.sh runs
# XIO, the npm peers (telegraf, grammY) and floor_bot through it.  The ctest
# run is the short one (normal build only: a sanitizer build would measure
# the sanitizer); `tests/bench/sidebyside/run.sh --full` is the full one.
add_executable(fake_tg ${CMAKE_SOURCE_DIR}/tests/bench/sidebyside/fake_tg.c)
target_link_libraries(fake_tg PRIVATE xio_core)
# floor_bot: the peers' work in plain C, the floor of this transport.  It
# links only the three libraries it uses (not xio_core, nor the rest of
# XIODEPS: every extra shared library adds to its cold start and idle RSS).
pkg_check_modules(FLOORDEPS REQUIRED IMPORTED_TARGET libcurl json-c sqlite3)
add_executable(floor_bot ${CMAKE_SOURCE_DIR}/tests/bench/sidebyside/floor_bot.c)
target_link_libraries(floor_bot PRIVATE PkgConfig::FLOORDEPS)
if(NOT XIO_SANITIZE)
  add_test(NAME bench_sidebyside
    COMMAND bash ${CMAKE_SOURCE_DIR}/tests/bench/sidebyside/run.sh
            --fake $<TARGET_FILE:fake_tg> --xio $<TARGET_FILE:xio>
            --floor $<TARGET_FILE:floor_bot>
            --npm-prefix ${CMAKE_BINARY_DIR}/node-sidebyside)
  set_tests_properties(bench_sidebyside PROPERTIES
    TIMEOUT 600 LABELS bench SKIP_RETURN_CODE 77 ENVIRONMENT "${XIO_TEST_ENV}")
endif()
