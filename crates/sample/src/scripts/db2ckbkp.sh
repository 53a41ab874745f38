# cnxbackup sample: stand-in for db2ckbkp (backup image verification).
# (A fragment: src/standin_*.rs prepends the shebang and the sample paths SYSROOT, STATE, ...)
rc=0; seen=0
for f in "$@"; do
  [[ "$f" == -* ]] && continue
  seen=1
  if [ ! -f "$f" ]; then
    echo "ERROR!  No match for image \"$f\" was found."
    rc=1
    continue
  fi
  tmp=$(mktemp -d "$STATE/run/tmp.XXXXXX")
  if unpack_image "$f" "$tmp" 2>/dev/null && [ -f "$tmp/BACKUP.INFO" ]; then
    size=$(wc -c < "$f")
    echo ""
    echo "[1] Buffers processed:  $(printf '#%.0s' $(seq 1 $(( size / 4096 + 1 ))))"
    echo ""
    echo "Image Verification Complete - successful."
    db_log db2ckbkp verify "$(info_get "$tmp" database)" "$(basename "$f")" ok
  else
    echo ""
    echo "[1] Buffers processed:  #"
    echo ""
    echo "ERROR! Unable to read backup image: bad header."
    echo ""
    echo "Image Verification Complete - ERRORS DETECTED:  1"
    db_log db2ckbkp verify - "$(basename "$f")" error
    rc=1
  fi
  rm -rf "$tmp"
done
if [ "$seen" = 0 ]; then echo "Usage: db2ckbkp [options] filename ..."; exit 1; fi
exit $rc
