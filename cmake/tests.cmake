# Test registration.  Every suite runs through ctest; XIO_SOURCE_DIR and
# XIO_BINARY_DIR tell a test where its data and the xio binary are.
set(XIO_TEST_ENV "XIO_SOURCE_DIR=${CMAKE_SOURCE_DIR};XIO_BINARY_DIR=${CMAKE_BINARY_DIR};ASAN_OPTIONS=detect_leaks=1:abort_on_error=0;UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")

# The dependency rule bot -> adapters -> core is part of the build: core/
# including anything from adapters/ or bot/ fails it.
add_custom_target(check_layering ALL
  COMMAND ${CMAKE_SOURCE_DIR}/tests/check_layering.sh ${CMAKE_SOURCE_DIR}
  COMMENT "Checking that core/ includes nothing from adapters/ or bot/")
add_test(NAME layering COMMAND ${CMAKE_SOURCE_DIR}/tests/check_layering.sh ${CMAKE_SOURCE_DIR})

# Fuzz targets: tests/fuzz/fuzz_<name>.c defines LLVMFuzzerTestOneInput.  In
# the fuzz build (clang) each is a libFuzzer binary run briefly over its seed
# corpus; in every other build the same function is linked with a replay
# driver that runs the corpus and the crash regressions as a plain test.
file(GLOB XIO_FUZZ_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_*.c)
set(XIO_FUZZ_SECONDS 10 CACHE STRING "Seconds each fuzz target runs in the fuzz build")
foreach(src ${XIO_FUZZ_SOURCES})
  get_filename_component(name ${src} NAME_WE)
  string(REPLACE "fuzz_" "" short ${name})
  set(corpus ${CMAKE_SOURCE_DIR}/tests/fuzz/corpus/${short})
  if(XIO_FUZZ)
    add_executable(${name} ${src})
    target_link_libraries(${name} PRIVATE xio_adapters xio_core)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer)
    file(MAKE_DIRECTORY ${CMAKE_BINARY_DIR}/fuzz-work/${short})
    add_test(NAME fuzz_${short}
      COMMAND ${name} -max_total_time=${XIO_FUZZ_SECONDS} -rss_limit_mb=2048
              -timeout=10 -print_final_stats=1
              ${CMAKE_BINARY_DIR}/fuzz-work/${short} ${corpus})
    set_tests_properties(fuzz_${short} PROPERTIES ENVIRONMENT "${XIO_TEST_ENV}")
  elseif(NOT XIO_FUZZ)
    add_executable(${name}_replay ${src} ${CMAKE_SOURCE_DIR}/tests/fuzz/replay.c)
    target_link_libraries(${name}_replay PRIVATE xio_adapters xio_core)
    add_test(NAME fuzz_replay_${short} COMMAND ${name}_replay ${corpus})
    set_tests_properties(fuzz_replay_${short} PROPERTIES ENVIRONMENT "${XIO_TEST_ENV}")
  endif()
endforeach()

if(XIO_FUZZ)
  return()
endif()

if(NOT CMOCKA_FOUND)
  message(FATAL_ERROR "cmocka not found: run deploy/setup.sh")
endif()

# Unit suites: one cmocka binary per tests/unit/test_<module>.c.
file(GLOB XIO_UNIT_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/unit/test_*.c)
foreach(src ${XIO_UNIT_SOURCES})
  get_filename_component(name ${src} NAME_WE)
  add_executable(${name} ${src})
  target_include_directories(${name} PRIVATE ${CMAKE_SOURCE_DIR}/tests/unit)
  target_link_libraries(${name} PRIVATE xio_adapters xio_core PkgConfig::CMOCKA)
  add_test(NAME unit_${name} COMMAND ${name})
  set_tests_properties(unit_${name} PROPERTIES ENVIRONMENT "${XIO_TEST_ENV}" TIMEOUT 120)
endforeach()

# Integration suites: tests/integration/test_*.sh run against the real binary.
file(GLOB XIO_INTEG_SCRIPTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/integration/test_*.sh)
foreach(script ${XIO_INTEG_SCRIPTS})
  get_filename_component(name ${script} NAME_WE)
  add_test(NAME integ_${name} COMMAND bash ${script})
  set_tests_properties(integ_${name} PROPERTIES
    ENVIRONMENT "${XIO_TEST_ENV};XIO_BIN=$<TARGET_FILE:xio>" TIMEOUT 600)
endforeach()

# Further suites (fakes as fixtures, differential tests, benchmarks) add
# themselves as cmake/tests-<area>.cmake.
file(GLOB XIO_TEST_FRAGMENTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/cmake/tests-*.cmake)
foreach(frag ${XIO_TEST_FRAGMENTS})
  include(${frag})
endforeach()
