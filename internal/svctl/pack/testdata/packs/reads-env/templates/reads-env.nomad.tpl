job [[ var "job_name" . | quote ]] {
  meta {
    token  = [[ env "SVCTL_PACK_TEST_TOKEN" | quote ]]
    helper = [[ template "token" . ]]
  }
}
