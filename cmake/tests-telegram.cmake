# Telegram: the end-to-end benchmark against the fake Bot API (normal build
# only; it prints its figures).  The integration suites test_telegram.sh and
# test_telegram_crash.sh are picked up by the generic tests/integration glob.
if(NOT XIO_SANITIZE)
  add_test(NAME bench_telegram
    COMMAND python3 ${CMAKE_SOURCE_DIR}/tests/bench/bench_telegram.py 2)
  set_tests_properties(bench_telegram PROPERTIES TIMEOUT 300 LABELS bench
    ENVIRONMENT "${XIO_TEST_ENV};XIO_BIN=$<TARGET_FILE:xio>")
endif()
