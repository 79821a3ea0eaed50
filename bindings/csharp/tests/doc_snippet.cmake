# ctest csharp_doc_snippet: the first ```csharp block of docs/CSHARP.md compiles and runs as
# written (it trains a tiny network for one synthetic epoch).
#   cmake -DDOC=docs/CSHARP.md -DMCS=mcs -DMONO=mono -DOUT_DIR=<dir with Wdc.dll> -DWORK=<dir> -P doc_snippet.cmake
file(READ "${DOC}" doc)
string(FIND "${doc}" "```csharp\n" start)
if(start LESS 0)
  message(FATAL_ERROR "no ```csharp block in ${DOC}")
endif()
math(EXPR start "${start} + 10")
string(SUBSTRING "${doc}" ${start} -1 rest)
string(FIND "${rest}" "```" end)
string(SUBSTRING "${rest}" 0 ${end} snippet)
string(REGEX MATCHALL "\n" lines "${snippet}")
list(LENGTH lines line_count)
message("snippet (${line_count} lines):\n${snippet}")
if(line_count GREATER 5)
  message(FATAL_ERROR "the snippet has ${line_count} lines, more than five")
endif()
file(MAKE_DIRECTORY "${WORK}")
file(WRITE "${WORK}/demo.cs" "${snippet}")
execute_process(
  COMMAND "${MCS}" -nologo -warnaserror -r:${OUT_DIR}/Wdc.dll -out:${WORK}/demo.exe ${WORK}/demo.cs
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the snippet does not compile")
endif()
# demo.exe runs next to Wdc.dll (and its dllmap config), as in the documentation.
file(COPY "${OUT_DIR}/Wdc.dll" "${OUT_DIR}/Wdc.dll.config" DESTINATION "${WORK}")
execute_process(COMMAND "${MONO}" "${WORK}/demo.exe" RESULT_VARIABLE rc OUTPUT_VARIABLE out)
message("${out}")
if(NOT rc EQUAL 0 OR NOT out MATCHES ": [0-9]")
  message(FATAL_ERROR "the snippet failed (${rc})")
endif()
