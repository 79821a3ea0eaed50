# Smoke test of examples/csharp (ctest csharp_example): classifies the generated demo lot with the
# model of the csharp_model fixture, at threshold 0 so that every wafer is "defective", and checks
# the verdicts and that one CAM image (PGM) per wafer was written.
#   cmake -DMONO=... -DEXE=wdc_lot_classifier.exe -DMODEL=... -DOUT=dir -P run_example.cmake
file(REMOVE_RECURSE "${OUT}")
execute_process(
  COMMAND "${MONO}" --debug "${EXE}" "${MODEL}" --lot SMOKE --out "${OUT}" --threshold 0
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "wdc_lot_classifier exited with ${rc}")
endif()
if(NOT out MATCHES "lot SMOKE: 8 wafers, 8 defective")
  message(FATAL_ERROR "unexpected summary")
endif()
file(GLOB cams "${OUT}/*.pgm")
list(LENGTH cams count)
if(NOT count EQUAL 8)
  message(FATAL_ERROR "expected 8 CAM files in ${OUT}, found ${count}")
endif()
foreach(cam ${cams})
  file(STRINGS "${cam}" header LIMIT_COUNT 3)
  list(GET header 0 magic)
  if(NOT magic STREQUAL "P2")
    message(FATAL_ERROR "${cam} is not an ASCII PGM")
  endif()
endforeach()

# Without a model file: the model built into the library.
execute_process(
  COMMAND "${MONO}" --debug "${EXE}" --lot BUILTIN --out "${OUT}/builtin"
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(NOT rc EQUAL 0 OR NOT out MATCHES "model built-in" OR NOT out MATCHES "lot BUILTIN: 8 wafers")
  message(FATAL_ERROR "wdc_lot_classifier without a model file failed (${rc})")
endif()

# A raw lot file: the maps the example wrote with --write-lot, read back.
execute_process(
  COMMAND "${MONO}" --debug "${EXE}" --write-lot "${OUT}/lot.raw"
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "--write-lot exited with ${rc}")
endif()
execute_process(
  COMMAND "${MONO}" --debug "${EXE}" "${MODEL}" --lot RAW --maps "${OUT}/lot.raw" 52 52
          --out "${OUT}/raw" --threshold 0
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(NOT rc EQUAL 0 OR NOT out MATCHES "lot RAW: 8 wafers, 8 defective")
  message(FATAL_ERROR "classifying the raw lot failed (${rc})")
endif()

# Errors: a missing model exits 1 with the library's status.
execute_process(
  COMMAND "${MONO}" --debug "${EXE}" "${OUT}/missing.wdcm"
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 1 OR NOT err MATCHES "WDC_E_IO")
  message(FATAL_ERROR "a missing model should exit 1 with WDC_E_IO, got ${rc}: ${err}")
endif()
