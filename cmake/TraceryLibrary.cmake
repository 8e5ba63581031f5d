# tracery_add_library(NAME x SRCS a.cc b.cc DEPS tracery::core ... [PRIVATE_DEPS ...])
# Creates target tracery_x with alias tracery::x, the src/ include root and project warnings.
add_library(tracery_warnings INTERFACE)
target_compile_options(tracery_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Woverloaded-virtual -Wcast-qual
  -Wformat=2 -Wimplicit-fallthrough -Wmissing-declarations)

function(tracery_add_library)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(tracery_${ARG_NAME} STATIC ${ARG_SRCS})
  add_library(tracery::${ARG_NAME} ALIAS tracery_${ARG_NAME})
  target_include_directories(tracery_${ARG_NAME} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(tracery_${ARG_NAME} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS} tracery_warnings)
endfunction()

# tracery_add_test(NAME x SRCS a_test.cc DEPS tracery::core LABEL core)
function(tracery_add_test)
  cmake_parse_arguments(ARG "" "NAME;LABEL" "SRCS;DEPS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SRCS})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS} tracery_testing GTest::gtest_main GTest::gmock tracery_warnings)
  gtest_discover_tests(${ARG_NAME} DISCOVERY_MODE PRE_TEST PROPERTIES LABELS ${ARG_LABEL} TIMEOUT 300)
endfunction()
