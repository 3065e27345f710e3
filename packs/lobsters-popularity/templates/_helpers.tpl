[[- /*
  Helpers of the lobsters-popularity pack. Every value a user passes in
  reaches the job through string_var or string_list_var, so that a rendered
  job says exactly what the user asked for and nothing more.

  The messages this pack fails with name the variable and hold no ": " and
  no "%", so that they read the same under nomad-pack, which shows only the
  text after the last ": " of a template error and then reads it as a printf
  format. A value a message quotes is quoted as Go quotes strings, with "%"
  written \x25 and ": " written :\x20 (the same string, escaped).
*/ -]]

[[- /*
  hcl_string writes its argument, a string, as an HCL quoted string: \ and "
  escaped, line breaks as \n and \r, "${" as "$${" and "%{" as "%%{" so that
  HCL reads no interpolation or directive into it, and "<" as \u003c so that
  nomad-pack's removal of "<no value>" from rendered text cannot change it.
  Sprig's quote is not enough: it leaves "${" for HCL to interpolate and
  writes control characters as \a or \x07, escapes HCL rejects.
*/ -]]
[[- define "hcl_string" -]]
"[[ . | replace "\\" "\\\\" | replace "\"" "\\\"" | replace "\n" "\\n" | replace "\r" "\\r" | replace "<" "\\u003c" | replace "${" "$${" | replace "%{" "%%{" ]]"
[[- end -]]

[[- /*
  checked_string takes (list NAME VALUE) and writes VALUE with hcl_string,
  after refusing a VALUE that is null (nil), such as an element of meta
  set to null, or that holds "${" or "%{":
  Nomad reads those itself when it starts a task (interpolation in env,
  meta, tags and driver config), so the task would see something else than
  the job says.
*/ -]]
[[- define "checked_string" -]]
[[- $name := index . 0 -]]
[[- $value := index . 1 -]]
[[- if kindIs "invalid" $value -]]
[[- fail (printf "variable %s holds null, not a string" $name) -]]
[[- end -]]
[[- if or (contains "${" $value) (contains "%{" $value) -]]
[[- $shown := printf "%q" $value | replace "%" "\\x25" | replace ": " ":\\x20" -]]
[[- fail (printf "variable %s is %s, which holds \"${\" or a percent sign before \"{\", text Nomad would interpret when it starts the task" $name $shown) -]]
[[- end -]]
[[- template "hcl_string" $value -]]
[[- end -]]

[[- /* string_var takes (list NAME .) and writes variable NAME as a quoted HCL string. */ -]]
[[- define "string_var" -]]
[[- template "checked_string" (list (index . 0) (var (index . 0) (index . 1))) -]]
[[- end -]]

[[- /* string_list_var takes (list NAME .) and writes variable NAME, a list of strings, as an HCL list. */ -]]
[[- define "string_list_var" -]]
[[- $name := index . 0 -]]
[ [[- range $i, $v := var $name (index . 1) -]]
[[- if $i ]], [[ end -]]
[[- template "checked_string" (list $name $v) -]]
[[- end -]] ]
[[- end -]]

[[- /*
  check_values fails, naming them, when variables have no value: nomad-pack
  gives a variable that has no default and was not set the value nil, which
  would otherwise stop the first function that meets it with a message that
  names no variable. Then it fails unless driver, sidecar and log_level are
  values this pack knows. The job template calls it first.
*/ -]]
[[- define "check_values" -]]
[[- $unset := list -]]
[[- range $name, $value := vars . -]]
[[- if kindIs "invalid" $value ]][[ $unset = append $unset $name ]][[ end -]]
[[- end -]]
[[- if eq (len $unset) 1 -]]
[[- fail (printf "variable %s has no value; set it with --var %s=VALUE" (first $unset) (first $unset)) -]]
[[- else if $unset -]]
[[- fail (printf "variables %s have no value; set them with --var %s=VALUE" (join ", " $unset) (join "=VALUE --var " $unset)) -]]
[[- end -]]
[[- $driver := var "driver" . -]]
[[- if not (has $driver (list "raw_exec" "exec" "docker")) -]]
[[- $shown := printf "%q" (toString $driver) | replace "%" "\\x25" | replace ": " ":\\x20" -]]
[[- fail (printf "variable driver is %s, which is not one of raw_exec, exec, docker" $shown) -]]
[[- end -]]
[[- if and (eq $driver "exec") (not (var "artifact_url" .)) -]]
[[- fail "variable driver is exec, which runs only what Nomad downloads, and artifact_url is empty" -]]
[[- end -]]
[[- if and (var "artifact_url" .) (not (hasPrefix "sha256:" (var "artifact_checksum" .))) -]]
[[- fail "variable artifact_checksum must be sha256 and the hex digest (sha256 then a colon) when artifact_url is set" -]]
[[- end -]]
[[- if not (regexMatch "^[A-Za-z0-9_./-]+$" (toString (var "dsn_variable" .))) -]]
[[- fail "variable dsn_variable must be a Nomad Variable path (letters, digits and _ . / -)" -]]
[[- end -]]
[[- if not (regexMatch "^[A-Za-z_][A-Za-z0-9_]*$" (toString (var "dsn_variable_item" .))) -]]
[[- fail "variable dsn_variable_item must be an identifier (letters, digits, _)" -]]
[[- end -]]
[[- template "check_whole" (list "app_port" 1 65535 .) -]]
[[- template "check_whole" (list "mysql_upstream_port" 1 65535 .) -]]
[[- template "check_whole" (list "cpu" 1 1000000 .) -]]
[[- template "check_whole" (list "memory" 1 10000000 .) -]]
[[- $sidecar := var "sidecar" . -]]
[[- if not (has $sidecar (list "envoy" "envoy_raw_exec" "consul_proxy")) -]]
[[- $shown := printf "%q" (toString $sidecar) | replace "%" "\\x25" | replace ": " ":\\x20" -]]
[[- fail (printf "variable sidecar is %s, which is not one of envoy, envoy_raw_exec, consul_proxy" $shown) -]]
[[- end -]]
[[- $level := var "log_level" . -]]
[[- if not (has $level (list "debug" "info" "warn" "error")) -]]
[[- $shown := printf "%q" (toString $level) | replace "%" "\\x25" | replace ": " ":\\x20" -]]
[[- fail (printf "variable log_level is %s, which is not one of debug, info, warn, error" $shown) -]]
[[- end -]]
[[- end -]]

[[- /*
  meta_attributes takes (list INDENT .) and writes the meta variable's
  entries, one "key = value" line each in key order, each line starting with
  INDENT and the "=" aligned as nomad fmt aligns them. A key must be an HCL
  identifier.
*/ -]]
[[- define "meta_attributes" -]]
[[- $indent := index . 0 -]]
[[- $meta := var "meta" (index . 1) -]]
[[- $width := 0 -]]
[[- range $k, $v := $meta -]]
[[- if gt (len $k) $width ]][[ $width = len $k ]][[ end -]]
[[- end -]]
[[- range $k, $v := $meta ]]
[[- if not (regexMatch "^[A-Za-z_][A-Za-z0-9_-]*$" $k) -]]
[[- $shown := printf "%q" $k | replace "%" "\\x25" | replace ": " ":\\x20" -]]
[[- fail (printf "variable meta has the key %s, which is not an HCL identifier" $shown) -]]
[[- end ]]
[[ $indent ]][[ printf "%-*s" $width $k ]] = [[ template "checked_string" (list (printf "meta.%s" $k) $v) ]]
[[- end -]]
[[- end -]]

[[- /*
  check_whole takes (list NAME MIN MAX .) and fails unless variable NAME is
  a whole number from MIN to MAX: a port of -1 or 0 means something else to
  Nomad, and 5000.5 is no port.
*/ -]]
[[- define "check_whole" -]]
[[- $name := index . 0 -]]
[[- $min := index . 1 -]]
[[- $max := index . 2 -]]
[[- $v := var $name (index . 3) -]]
[[- if not (or (kindIs "int" $v) (kindIs "int64" $v)) -]]
[[- fail (printf "variable %s is %v, which is not a whole number" $name $v) -]]
[[- end -]]
[[- if or (lt (int64 $v) (int64 $min)) (gt (int64 $v) (int64 $max)) -]]
[[- fail (printf "variable %s is %v, which is not from %d to %d" $name $v $min $max) -]]
[[- end -]]
[[- end -]]
