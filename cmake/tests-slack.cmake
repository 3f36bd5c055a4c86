# The fake Slack (tests/fakes/fake_slack.mjs) needs the `ws` package from the
# npm registry: a fixture installs it; the Slack integration tests skip (77)
# only when node/npm are missing.
add_test(NAME slack_ws_install
  COMMAND bash ${CMAKE_SOURCE_DIR}/tests/fakes/install_ws.sh ${CMAKE_BINARY_DIR}/node-ws)
set_tests_properties(slack_ws_install PROPERTIES
  FIXTURES_SETUP slack_ws SKIP_RETURN_CODE 77 TIMEOUT 300
  ENVIRONMENT "${XIO_TEST_ENV}")

foreach(t socket events security faults crash)
  add_test(NAME slack_${t}
    COMMAND bash ${CMAKE_SOURCE_DIR}/tests/slack/test_slack_${t}.sh)
  set_tests_properties(slack_${t} PROPERTIES
    FIXTURES_REQUIRED slack_ws SKIP_RETURN_CODE 77 TIMEOUT 300
    ENVIRONMENT "${XIO_TEST_ENV};XIO_BIN=$<TARGET_FILE:xio>;XIO_NODE_PREFIX=${CMAKE_BINARY_DIR}/node-ws")
endforeach()
