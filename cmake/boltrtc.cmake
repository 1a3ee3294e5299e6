# brtc_core(NAME SOURCES... [DEPS libs...])
#   A protocol core: static library brtc_NAME, includes src/ and include/. Built with hidden
#   visibility: only what include/boltrtc/ marks BRTC_EXPORT may leave a shared library.
function(brtc_core name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(brtc_${name} STATIC ${ARG_SOURCES})
  target_include_directories(brtc_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/include
                             ${PROJECT_BINARY_DIR}/include)
  set_target_properties(brtc_${name} PROPERTIES C_VISIBILITY_PRESET hidden)
  target_link_libraries(brtc_${name} PUBLIC ${ARG_DEPS})
endfunction()

# brtc_test(NAME SOURCES... [DEPS libs...] [LABELS labels...])
#   A unit test program, registered with ctest under its name.
function(brtc_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests)
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
  add_test(NAME ${name} COMMAND ${name} WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR})
  set_tests_properties(${name} PROPERTIES TIMEOUT 120 LABELS "unit;${ARG_LABELS}")
endfunction()
