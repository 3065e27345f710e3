[[- /*
  Helpers of the greeter pack: the way packs/lobsters-popularity quotes what
  users pass in, cut to what this pack needs. Every variable reaches the job
  through string_var, string_list_var or meta_attributes. Messages hold no
  ": " and no "%", so that they read the same under nomad-pack.
*/ -]]

[[- /*
  hcl_string writes its argument, a string, as an HCL quoted string: \ and "
  escaped, line breaks as \n and \r, "${" as "$${" and "%{" as "%%{" (no HCL
  interpolation or directive), and "<" as \u003c (nomad-pack removes
  "<no value>" from rendered text).
*/ -]]
[[- define "hcl_string" -]]
"[[ . | replace "\\" "\\\\" | replace "\"" "\\\"" | replace "\n" "\\n" | replace "\r" "\\r" | replace "<" "\\u003c" | replace "${" "$${" | replace "%{" "%%{" ]]"
[[- end -]]

[[- /*
  checked_string takes (list NAME VALUE) and writes VALUE with hcl_string,
  after refusing a null VALUE and one holding "${" or "%{", which Nomad would
  interpolate itself when it starts the task.
*/ -]]
[[- define "checked_string" -]]
[[- $name := index . 0 -]]
[[- $value := index . 1 -]]
[[- if kindIs "invalid" $value -]]
[[- fail (printf "variable %s holds null, not a string" $name) -]]
[[- end -]]
[[- if or (contains "${" $value) (contains "%{" $value) -]]
[[- fail (printf "variable %s holds \"${\" or a percent sign before \"{\", text Nomad would interpret when it starts the task" $name) -]]
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
  check_values fails, naming them, when variables have no value (nomad-pack
  gives an unset variable without a default nil), when neither binary nor
  artifact_url says what to run, when an artifact has no sha256 checksum,
  and when cpu or memory is not a positive whole number.
*/ -]]
[[- define "check_values" -]]
[[- $unset := list -]]
[[- range $name, $value := vars . -]]
[[- if kindIs "invalid" $value ]][[ $unset = append $unset $name ]][[ end -]]
[[- end -]]
[[- if $unset -]]
[[- fail (printf "variables %s have no value; set each with --var NAME=VALUE" (join ", " $unset)) -]]
[[- end -]]
[[- if and (not (var "artifact_url" .)) (not (var "binary" .)) -]]
[[- fail "variables binary and artifact_url are both empty, so the job would run nothing" -]]
[[- end -]]
[[- if and (var "artifact_url" .) (not (hasPrefix "sha256:" (var "artifact_checksum" .))) -]]
[[- fail "variable artifact_checksum must be sha256 and the hex digest (sha256 then a colon) when artifact_url is set" -]]
[[- end -]]
[[- range $name := list "cpu" "memory" -]]
[[- $v := var $name $ -]]
[[- if not (or (kindIs "int" $v) (kindIs "int64" $v)) -]]
[[- fail (printf "variable %s is %v, which is not a whole number" $name $v) -]]
[[- end -]]
[[- if lt (int64 $v) 1 -]]
[[- fail (printf "variable %s is %v, which is not positive" $name $v) -]]
[[- end -]]
[[- end -]]
[[- end -]]

[[- /*
  meta_attributes takes (list INDENT .) and writes the meta variable's
  entries, one "key = value" line each in key order, each starting with
  INDENT, the "=" aligned as nomad fmt aligns them. A key must be an HCL
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
