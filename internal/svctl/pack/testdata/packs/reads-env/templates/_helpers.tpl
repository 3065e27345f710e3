[[- define "token" -]]
[[- if true ]][[ expandenv "$SVCTL_PACK_TEST_TOKEN" ]][[ end -]]
[[- end -]]
