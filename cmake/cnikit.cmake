# Helpers shared by every module's CMakeLists.txt.

# cnikit_library(<name> [DEPS ...]): a static library `cnikit_<name>` built from every *.cc in the
# current directory. Includes are rooted at the repository ("src/common/error.h").
function(cnikit_library name)
  cmake_parse_arguments(ARG "" "" "DEPS" ${ARGN})
  file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cc)
  if(srcs)
    add_library(cnikit_${name} STATIC ${srcs})
    target_include_directories(cnikit_${name} PUBLIC ${PROJECT_SOURCE_DIR})
    target_link_libraries(cnikit_${name} PUBLIC ${ARG_DEPS})
  else()  # header-only (or not yet written)
    add_library(cnikit_${name} INTERFACE)
    target_include_directories(cnikit_${name} INTERFACE ${PROJECT_SOURCE_DIR})
    target_link_libraries(cnikit_${name} INTERFACE ${ARG_DEPS})
  endif()
endfunction()

# cnikit_test(<name> DIR <dir> [DEPS ...] [LABELS ...]): one GoogleTest binary from every
# *_test.cc in <dir>, registered with CTest.
function(cnikit_test name)
  cmake_parse_arguments(ARG "" "DIR" "DEPS;LABELS" ${ARGN})
  file(GLOB srcs CONFIGURE_DEPENDS ${ARG_DIR}/*.cc)
  if(NOT srcs)
    return()
  endif()
  add_executable(${name} ${srcs})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main Threads::Threads)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tests)
  target_compile_definitions(${name} PRIVATE
    CNIKIT_SOURCE_DIR="${PROJECT_SOURCE_DIR}" CNIKIT_BINARY_DIR="${PROJECT_BINARY_DIR}")
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES LABELS "${ARG_LABELS}")
endfunction()
