# Sourced by bin/recall-standalone and .ci/run: exports JAVA_HOME as a JDK >= 21 (the current JAVA_HOME when it
# qualifies, else the newest under /usr/lib/jvm).
java_major() { "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p'; }

select_jdk() {
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ] && [ "$(java_major "$JAVA_HOME")" -ge 21 ]; then
    return 0
  fi
  local best="" best_major=0 d m
  for d in /usr/lib/jvm/*; do
    [ -x "$d/bin/javac" ] || continue
    m=$(java_major "$d" || echo 0)
    if [ "${m:-0}" -ge 21 ] && [ "$m" -gt "$best_major" ]; then best="$d"; best_major="$m"; fi
  done
  if [ -z "$best" ]; then
    echo "no JDK >= 21 found (JAVA_HOME or /usr/lib/jvm): install one, e.g. Temurin 21 or 25" >&2
    return 1
  fi
  export JAVA_HOME="$best"
}
select_jdk
export PATH="$JAVA_HOME/bin:$PATH"
