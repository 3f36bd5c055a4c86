# The differential schema test: XIO's validator (tests/schema/schema_check.c)
# and ajv (tests/schema/ajv_check.mjs) must reach the same verdict on every
# document of tests/schema/corpus/, and the verdict the folder names.  ajv is
# installed from the npm registry by a fixture; both tests skip (77) only when
# npm is missing.  Each npm fixture installs into its own prefix: two
# "npm install"s into one prefix, run in parallel by ctest, prune each
# other's packages.
add_executable(schema_check ${CMAKE_SOURCE_DIR}/tests/schema/schema_check.c)
target_link_libraries(schema_check PRIVATE xio_core)

add_test(NAME schema_ajv_install
  COMMAND bash ${CMAKE_SOURCE_DIR}/tests/schema/install_ajv.sh ${CMAKE_BINARY_DIR}/node-ajv)
set_tests_properties(schema_ajv_install PROPERTIES
  FIXTURES_SETUP schema_ajv SKIP_RETURN_CODE 77 TIMEOUT 300
  ENVIRONMENT "${XIO_TEST_ENV}")

add_test(NAME schema_differential
  COMMAND bash ${CMAKE_SOURCE_DIR}/tests/schema/run_diff.sh
          $<TARGET_FILE:schema_check> ${CMAKE_BINARY_DIR}/node-ajv
          ${CMAKE_SOURCE_DIR}/tests/schema/corpus ${CMAKE_SOURCE_DIR}/config/schemas)
set_tests_properties(schema_differential PROPERTIES
  FIXTURES_REQUIRED schema_ajv SKIP_RETURN_CODE 77 TIMEOUT 120
  ENVIRONMENT "${XIO_TEST_ENV}")
