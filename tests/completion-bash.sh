#!/usr/bin/env bash
# Proves `kubectl supportaccess re<TAB>` in a real interactive bash, with kubectl's own completion
# loaded and the kubectl_complete-supportaccess shim installed. Prints the captured screen.
#   tests/completion-bash.sh PLUGIN_DIR KUBECTL_DIR
# PLUGIN_DIR holds kubectl-supportaccess and kubectl_complete-supportaccess; KUBECTL_DIR holds kubectl.
set -euo pipefail
plugin_dir=$1 kubectl_dir=$2
command -v tmux >/dev/null || { echo "completion-bash: tmux is not installed" >&2; exit 1; }
[ -f /usr/share/bash-completion/bash_completion ] \
  || { echo "completion-bash: bash-completion is not installed (apt-get install bash-completion)" >&2; exit 1; }
session=ksa-completion-$$
rcfile=$(mktemp)
trap 'tmux kill-session -t "$session" 2>/dev/null || true; rm -f "$rcfile"' EXIT
cat > "$rcfile" <<RC
export PATH="$plugin_dir:$kubectl_dir:\$PATH"
PS1='$ '
source /usr/share/bash-completion/bash_completion
source <(kubectl completion bash)
RC
tmux new-session -d -s "$session" -x 200 -y 50 "bash --noprofile --rcfile $rcfile -i"
sleep 1
tmux send-keys -t "$session" 'kubectl supportaccess re' Tab Tab
for _ in $(seq 1 50); do
  screen=$(tmux capture-pane -p -t "$session")
  if grep -q revoke <<<"$screen"; then break; fi
  sleep 0.1
done
tmux capture-pane -p -t "$session" | sed -e '/^$/d'
