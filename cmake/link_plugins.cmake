# Script: hard-link BIN as DIR/<name> for every name in NAMES (replacing stale entries).
foreach(n ${NAMES})
  file(REMOVE ${DIR}/${n})
  file(CREATE_LINK ${BIN} ${DIR}/${n})
endforeach()
