# The web UI (web/): built with npm at build time and embedded into the server as a generated
# C++ source (tools/embed_assets.py). Included from src/server/CMakeLists.txt.
#
#   TRACERY_BUILD_UI=ON (default): when npm is found, `npm ci` (only when web/node_modules is
#   missing) then `npm run build`, re-run when anything under web/src, index.html, package*.json,
#   tsconfig.json or vite.config.ts changes. Without npm the built-in fallback page is served and
#   configure prints why.
#   tracery_web_assets(<out_var>) sets <out_var> to the generated source to add to a target.
option(TRACERY_BUILD_UI "Build the web UI with npm and embed it into the server" ON)
find_package(Python3 REQUIRED COMPONENTS Interpreter)

set(TRACERY_WEB_DIR ${PROJECT_SOURCE_DIR}/web)
set(TRACERY_EMBED_SCRIPT ${PROJECT_SOURCE_DIR}/tools/embed_assets.py)

set(_tracery_ui_enabled OFF)
if(TRACERY_BUILD_UI)
  find_program(TRACERY_NPM npm)
  if(TRACERY_NPM AND EXISTS ${TRACERY_WEB_DIR}/package.json)
    set(_tracery_ui_enabled ON)
  else()
    message(WARNING "TRACERY_BUILD_UI is ON but npm (or web/package.json) was not found: "
                    "the server will serve the minimal built-in page. Install Node.js 20 + npm, "
                    "or configure with -DTRACERY_BUILD_UI=OFF to silence this.")
  endif()
endif()
set(TRACERY_UI_ENABLED ${_tracery_ui_enabled} CACHE INTERNAL "whether the web UI is embedded")

function(tracery_web_assets out_var)
  set(gen ${CMAKE_CURRENT_BINARY_DIR}/ui_assets_gen.cc)
  if(TRACERY_UI_ENABLED)
    file(GLOB_RECURSE web_srcs CONFIGURE_DEPENDS
      ${TRACERY_WEB_DIR}/src/*.ts ${TRACERY_WEB_DIR}/src/*.tsx ${TRACERY_WEB_DIR}/src/*.css)
    list(FILTER web_srcs EXCLUDE REGEX "\\.test\\.ts$")
    set(stamp ${CMAKE_CURRENT_BINARY_DIR}/web_build.stamp)
    add_custom_command(
      OUTPUT ${stamp}
      COMMAND ${CMAKE_COMMAND} -E chdir ${TRACERY_WEB_DIR}
              sh -c "test -d node_modules || '${TRACERY_NPM}' ci --no-audit --no-fund"
      COMMAND ${CMAKE_COMMAND} -E chdir ${TRACERY_WEB_DIR} ${TRACERY_NPM} run build --silent
      COMMAND ${CMAKE_COMMAND} -E touch ${stamp}
      DEPENDS ${web_srcs} ${TRACERY_WEB_DIR}/index.html ${TRACERY_WEB_DIR}/package.json
              ${TRACERY_WEB_DIR}/package-lock.json ${TRACERY_WEB_DIR}/vite.config.ts
              ${TRACERY_WEB_DIR}/tsconfig.json
      COMMENT "Building the web UI (npm run build in web/)"
      VERBATIM)
    add_custom_command(
      OUTPUT ${gen}
      COMMAND ${Python3_EXECUTABLE} ${TRACERY_EMBED_SCRIPT} ${TRACERY_WEB_DIR}/dist ${gen}
      DEPENDS ${stamp} ${TRACERY_EMBED_SCRIPT}
      COMMENT "Embedding web/dist into the server"
      VERBATIM)
  else()
    add_custom_command(
      OUTPUT ${gen}
      COMMAND ${Python3_EXECUTABLE} ${TRACERY_EMBED_SCRIPT} --empty ${gen}
      DEPENDS ${TRACERY_EMBED_SCRIPT}
      COMMENT "Embedding no web UI (TRACERY_BUILD_UI off or npm missing)"
      VERBATIM)
  endif()
  set(${out_var} ${gen} PARENT_SCOPE)
endfunction()

# CTests: `npm test` (type check + Vitest) as web_unit when the UI toolchain is available, and
# the embedding script's self-test.
# A macro, not a function: enable_testing() must set CMAKE_TESTING_ENABLED in the directory scope
# (this runs before the top level's enable_testing(); without it add_test is ignored here).
macro(tracery_web_unit_test)
  if(TRACERY_BUILD_TESTS)
    enable_testing()
    add_test(NAME embed_assets_selftest COMMAND ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/tools/embed_assets_test.py)
    set_tests_properties(embed_assets_selftest PROPERTIES LABELS tools)
    if(TRACERY_UI_ENABLED)
      add_test(NAME web_unit
        COMMAND sh -c "test -d node_modules || '${TRACERY_NPM}' ci --no-audit --no-fund; exec '${TRACERY_NPM}' test --silent"
        WORKING_DIRECTORY ${TRACERY_WEB_DIR})
      set_tests_properties(web_unit PROPERTIES LABELS ui TIMEOUT 300)
    endif()
  endif()
endmacro()
