# clean_env.sh — sourced by integration tests whose outcome the caller's
# XIO_* settings must not change: unsets every XIO_* variable but the ones
# the test harness passes (the binary and the source and build trees).
for v in $(env | sed -n 's/^\(XIO_[A-Z0-9_]*\)=.*/\1/p'); do
	case $v in XIO_BIN | XIO_SOURCE_DIR | XIO_BINARY_DIR) ;; *) unset "$v" ;; esac
done
unset v
