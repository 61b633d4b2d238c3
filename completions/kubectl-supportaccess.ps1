
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'kubectl-supportaccess' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'kubectl-supportaccess'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'kubectl-supportaccess' {
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file to use (otherwise $KUBECONFIG, then ~/.kube/config)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The name of the kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The name of the kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The name of the kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The system namespace that holds the policy, history and support bindings')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The system namespace that holds the policy, history and support bindings')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long each call to the API server may take as a whole: connecting, sending, and waiting for and reading the answer (e.g. 10s, 1m; 0 waits forever). A command that makes several calls may take longer')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: text, table, wide, name, json, yaml, jsonpath=TEMPLATE (kubectl''s JSONPath, over the JSON -o json prints) or custom-columns=HEADER:.path,... (over the listed items)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: text, table, wide, name, json, yaml, jsonpath=TEMPLATE (kubectl''s JSONPath, over the JSON -o json prints) or custom-columns=HEADER:.path,... (over the listed items)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'How much to log, as kubectl''s -v: 1 and above says which context and server; 6 and above logs each API call (method, URL, status, milliseconds)')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'How much to log, as kubectl''s -v: 1 and above says which context and server; 6 and above logs each API call (method, URL, status, milliseconds)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation prompt')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation prompt')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('enable', 'enable', [CompletionResultType]::ParameterValue, 'Enable support access: install the support roles and flow control, write the policy')
            [CompletionResult]::new('disable', 'disable', [CompletionResultType]::ParameterValue, 'Disable support access: no new requests or renewals; running sessions drain')
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'Show whether support access is enabled, which roles, and the active requests')
            [CompletionResult]::new('request', 'request', [CompletionResultType]::ParameterValue, 'Request support access: create the grant and mint a short-lived credential for it')
            [CompletionResult]::new('renew', 'renew', [CompletionResultType]::ParameterValue, 'Mint a fresh credential for a live request, never past its end')
            [CompletionResult]::new('approve', 'approve', [CompletionResultType]::ParameterValue, 'Approve a pending request or extension (the cluster owner; never one''s own)')
            [CompletionResult]::new('deny', 'deny', [CompletionResultType]::ParameterValue, 'Deny a pending request or extension, saying why')
            [CompletionResult]::new('extend', 'extend', [CompletionResultType]::ParameterValue, 'Move a live request''s end later, within the policy''s maximum from its start')
            [CompletionResult]::new('revoke', 'revoke', [CompletionResultType]::ParameterValue, 'Revoke requests now: their bindings, then their ServiceAccounts, are deleted')
            [CompletionResult]::new('end', 'end', [CompletionResultType]::ParameterValue, 'End one''s own request now')
            [CompletionResult]::new('exec', 'exec', [CompletionResultType]::ParameterValue, 'Run a command with KUBECONFIG pointing at a request''s credential')
            [CompletionResult]::new('shell', 'shell', [CompletionResultType]::ParameterValue, 'Start $SHELL with KUBECONFIG pointing at a request''s credential')
            [CompletionResult]::new('sweep', 'sweep', [CompletionResultType]::ParameterValue, 'Delete expired and invalid support bindings, and record it')
            [CompletionResult]::new('history', 'history', [CompletionResultType]::ParameterValue, 'Show the audit trail: every request, how and when it ended')
            [CompletionResult]::new('roles', 'roles', [CompletionResultType]::ParameterValue, 'Show what each support role may do; --verify asks the API server')
            [CompletionResult]::new('uninstall', 'uninstall', [CompletionResultType]::ParameterValue, 'Remove every support binding, the roles, the flow control and the policy')
            [CompletionResult]::new('completion', 'completion', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('version', 'version', [CompletionResultType]::ParameterValue, 'Print the plugin''s version and the API server''s version')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'kubectl-supportaccess;enable' {
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Only say what would be done (client), or have the API server and its admission guards answer every write without storing it (server)')
            [CompletionResult]::new('--contexts', '--contexts', [CompletionResultType]::ParameterName, 'Act on the contexts whose names match these shell globs (e.g. ''prod-*,eu-?'')')
            [CompletionResult]::new('--parallel', '--parallel', [CompletionResultType]::ParameterName, 'How many contexts to ask at once, with --all-contexts or --contexts (1 to 256)')
            [CompletionResult]::new('--enabled-roles', '--enabled-roles', [CompletionResultType]::ParameterName, 'Roles support may request: readonly, operator (operator implies readonly)')
            [CompletionResult]::new('--max-duration', '--max-duration', [CompletionResultType]::ParameterName, 'The longest a single request may last (e.g. 8h, 24h)')
            [CompletionResult]::new('--credential-ttl', '--credential-ttl', [CompletionResultType]::ParameterName, 'The lifetime of each minted credential (at least 10m, at most --max-duration)')
            [CompletionResult]::new('--system-namespaces', '--system-namespaces', [CompletionResultType]::ParameterName, 'Namespaces where support may read logs (and, for operator, exec)')
            [CompletionResult]::new('--operator-namespaces', '--operator-namespaces', [CompletionResultType]::ParameterName, 'Namespaces where only operator requests may read logs and exec (default slurm)')
            [CompletionResult]::new('--guardrails', '--guardrails', [CompletionResultType]::ParameterName, 'Whether the API server refuses a support identity''s changes to pod templates, nodes (beyond cordon) and GPU/network operator images (default on)')
            [CompletionResult]::new('--approval', '--approval', [CompletionResultType]::ParameterName, 'Whether each request waits for the owner''s `approve` (default none: enabled means any support engineer may get in, as Crusoe''s)')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'Whose identity a request grants: `serviceaccount` (the default: a ServiceAccount per request, whose short-lived tokens the API server itself expires) or `own` (the requester''s own user, as its kubeconfig logs in, e.g. through OIDC: the audit log names the engineer and no token is made; a record past its end then grants until a sweep deletes it). Switched only while no request is live')
            [CompletionResult]::new('--pending-ttl', '--pending-ttl', [CompletionResultType]::ParameterName, 'How long a request waits for approval before it expires (default 1h)')
            [CompletionResult]::new('--approvals', '--approvals', [CompletionResultType]::ParameterName, 'How many distinct approvers, none of them its requester, a request (and an extension) needs before it grants anything, with --approval required (1 to 5, default 1)')
            [CompletionResult]::new('--reason-pattern', '--reason-pattern', [CompletionResultType]::ParameterName, 'A regular expression (RE2) every request''s --reason must match, checked by `request` and by the API server, e.g. ''^CASE-[0-9]+: ''. Kept when left out; "" allows any reason')
            [CompletionResult]::new('--trail-warn-lines', '--trail-warn-lines', [CompletionResultType]::ParameterName, 'How many lines the trail may hold before `get` warns that it is time to export and prune (at least 1000; default 500000). Kept when left out')
            [CompletionResult]::new('--clusterroles', '--clusterroles', [CompletionResultType]::ParameterName, 'Existing ClusterRoles support may request besides readonly and operator (jitsudo''s model): NAME (cluster-wide or in one namespace) or NAME/namespaced (in a namespace only), e.g. view,edit/namespaced. Kept when left out; "" allows none')
            [CompletionResult]::new('--default-scope', '--default-scope', [CompletionResultType]::ParameterName, 'The namespace a request without --scope is made in (jitsudo''s default_namespace); "" (the default) makes it cluster-wide')
            [CompletionResult]::new('--requesters', '--requesters', [CompletionResultType]::ParameterName, 'Who may request support access without holding more (the crusoe-support-requester roles): user:NAME, group:NAME, serviceaccount:NS/NAME. Kept when left out; "" removes them')
            [CompletionResult]::new('--approvers', '--approvers', [CompletionResultType]::ParameterName, 'Who may approve, deny and revoke requests (the crusoe-support-approver roles), spelled as --requesters. Kept when left out; "" removes them')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file to use (otherwise $KUBECONFIG, then ~/.kube/config)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The name of the kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The name of the kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The name of the kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The system namespace that holds the policy, history and support bindings')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The system namespace that holds the policy, history and support bindings')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long each call to the API server may take as a whole: connecting, sending, and waiting for and reading the answer (e.g. 10s, 1m; 0 waits forever). A command that makes several calls may take longer')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: text, table, wide, name, json, yaml, jsonpath=TEMPLATE (kubectl''s JSONPath, over the JSON -o json prints) or custom-columns=HEADER:.path,... (over the listed items)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: text, table, wide, name, json, yaml, jsonpath=TEMPLATE (kubectl''s JSONPath, over the JSON -o json prints) or custom-columns=HEADER:.path,... (over the listed items)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'How much to log, as kubectl''s -v: 1 and above says which context and server; 6 and above logs each API call (method, URL, status, milliseconds)')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'How much to log, as kubectl''s -v: 1 and above says which context and server; 6 and above logs each API call (method, URL, status, milliseconds)')
            [CompletionResult]::new('--all-contexts', '--all-contexts', [CompletionResultType]::ParameterName, 'Act on every context of the kubeconfig (contexts with the same cluster and user once)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation prompt')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation prompt')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'kubectl-supportaccess;disable' {
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Only say what would be done (client), or have the API server and its admission guards answer every write without storing it (server)')
            [CompletionResult]::new('--contexts', '--contexts', [CompletionResultType]::ParameterName, 'Act on the contexts whose names match these shell globs (e.g. ''prod-*,eu-?'')')
            [CompletionResult]::new('--parallel', '--parallel', [CompletionResultType]::ParameterName, 'How many contexts to ask at once, with --all-contexts or --contexts (1 to 256)')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file to use (otherwise $KUBECONFIG, then ~/.kube/config)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The name of the kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The name of the kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The name of the kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The system namespace that holds the policy, history and support bindings')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The system namespace that holds the policy, history and support bindings')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long each call to the API server may take as a whole: connecting, sending, and waiting for and reading the answer (e.g. 10s, 1m; 0 waits forever). A command that makes several calls may take longer')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: text, table, wide, name, json, yaml, jsonpath=TEMPLATE (kubectl''s JSONPath, over the JSON -o json prints) or custom-columns=HEADER:.path,... (over the listed items)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: text, table, wide, name, json, yaml, jsonpath=TEMPLATE (kubectl''s JSONPath, over the JSON -o json prints) or custom-columns=HEADER:.path,... (over the listed items)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'How much to log, as kubectl''s -v: 1 and above says which context and server; 6 and above logs each API call (method, URL, status, milliseconds)')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'How much to log, as kubectl''s -v: 1 and above says which context and server; 6 and above logs each API call (method, URL, status, milliseconds)')
            [CompletionResult]::new('--all-contexts', '--all-contexts', [CompletionResultType]::ParameterName, 'Act on every context of the kubeconfig (contexts with the same cluster and user once)')
            [CompletionResult]::new('--now', '--now', [CompletionResultType]::ParameterName, 'Also delete every support binding and ServiceAccount now (immediate revocation: 403 at once, every token 401 within about 10s); asks first on a terminal')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation prompt')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation prompt')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'kubectl-supportaccess;get' {
            [CompletionResult]::new('--contexts', '--contexts', [CompletionResultType]::ParameterName, 'Act on the contexts whose names match these shell globs (e.g. ''prod-*,eu-?'')')
            [CompletionResult]::new('--parallel', '--parallel', [CompletionResultType]::ParameterName, 'How many contexts to ask at once, with --all-contexts or --contexts (1 to 256)')
            [CompletionResult]::new('--exec', '--exec', [CompletionResultType]::ParameterName, 'With --watch: run CMD (with sh -c) for each event, the event as JSON on its stdin ($SUPPORTACCESS_EVENT and $SUPPORTACCESS_ID name it); a failure is reported and the watch goes on. E.g. ''notify-send "support access" "$SUPPORTACCESS_EVENT"''')
            [CompletionResult]::new('--exec-timeout', '--exec-timeout', [CompletionResultType]::ParameterName, 'How long --exec''s command may run for one event before it is stopped')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file to use (otherwise $KUBECONFIG, then ~/.kube/config)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The name of the kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The name of the kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The name of the kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The system namespace that holds the policy, history and support bindings')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The system namespace that holds the policy, history and support bindings')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long each call to the API server may take as a whole: connecting, sending, and waiting for and reading the answer (e.g. 10s, 1m; 0 waits forever). A command that makes several calls may take longer')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: text, table, wide, name, json, yaml, jsonpath=TEMPLATE (kubectl''s JSONPath, over the JSON -o json prints) or custom-columns=HEADER:.path,... (over the listed items)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: text, table, wide, name, json, yaml, jsonpath=TEMPLATE (kubectl''s JSONPath, over the JSON -o json prints) or custom-columns=HEADER:.path,... (over the listed items)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'How much to log, as kubectl''s -v: 1 and above says which context and server; 6 and above logs each API call (method, URL, status, milliseconds)')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'How much to log, as kubectl''s -v: 1 and above says which context and server; 6 and above logs each API call (method, URL, status, milliseconds)')
            [CompletionResult]::new('--all-contexts', '--all-contexts', [CompletionResultType]::ParameterName, 'Act on every context of the kubeconfig (contexts with the same cluster and user once)')
            [CompletionResult]::new('-w', '-w', [CompletionResultType]::ParameterName, 'Stay open and print one line as each request is made, waits for an answer, is approved or denied, extended, revoked or ends (a watch on the support bindings); on a terminal the bell rings for a request that waits. With -o json, one JSON object per line')
            [CompletionResult]::new('--watch', '--watch', [CompletionResultType]::ParameterName, 'Stay open and print one line as each request is made, waits for an answer, is approved or denied, extended, revoked or ends (a watch on the support bindings); on a terminal the bell rings for a request that waits. With -o json, one JSON object per line')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation prompt')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation prompt')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'kubectl-supportaccess;request' {
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Only say what would be done (client), or have the API server and its admission guards answer every write without storing it (server)')
            [CompletionResult]::new('--role', '--role', [CompletionResultType]::ParameterName, 'The role to request: readonly, operator, or an existing ClusterRole the owner allows (`enable --clusterroles`; `get` lists them)')
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Why access is needed (recorded on the grant and in the history)')
            [CompletionResult]::new('--duration', '--duration', [CompletionResultType]::ParameterName, 'How long the access lasts (e.g. 2h), at most the policy''s maximum: the request ends this long after it is made. The shortest request lasts 11m, so that its first credential (the TokenRequest API issues none shorter than 10m) fits with a minute to mint it: `--duration 10m` ends 11m later')
            [CompletionResult]::new('--scope', '--scope', [CompletionResultType]::ParameterName, 'Limit the grant to one namespace (a RoleBinding instead of a ClusterRoleBinding), which becomes the kubeconfig''s namespace; ''*'' or '''' is cluster-wide. Without it, the owner''s default scope (`enable --default-scope`), else cluster-wide')
            [CompletionResult]::new('--requestor', '--requestor', [CompletionResultType]::ParameterName, 'Who the access is for (default: the caller''s identity)')
            [CompletionResult]::new('--kubeconfig-out', '--kubeconfig-out', [CompletionResultType]::ParameterName, 'Where to write the credential''s kubeconfig')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file to use (otherwise $KUBECONFIG, then ~/.kube/config)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The name of the kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The name of the kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The name of the kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The system namespace that holds the policy, history and support bindings')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The system namespace that holds the policy, history and support bindings')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long each call to the API server may take as a whole: connecting, sending, and waiting for and reading the answer (e.g. 10s, 1m; 0 waits forever). A command that makes several calls may take longer')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: text, table, wide, name, json, yaml, jsonpath=TEMPLATE (kubectl''s JSONPath, over the JSON -o json prints) or custom-columns=HEADER:.path,... (over the listed items)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: text, table, wide, name, json, yaml, jsonpath=TEMPLATE (kubectl''s JSONPath, over the JSON -o json prints) or custom-columns=HEADER:.path,... (over the listed items)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'How much to log, as kubectl''s -v: 1 and above says which context and server; 6 and above logs each API call (method, URL, status, milliseconds)')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'How much to log, as kubectl''s -v: 1 and above says which context and server; 6 and above logs each API call (method, URL, status, milliseconds)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation prompt')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation prompt')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'kubectl-supportaccess;renew' {
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file to use (otherwise $KUBECONFIG, then ~/.kube/config)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The name of the kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The name of the kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The name of the kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The system namespace that holds the policy, history and support bindings')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The system namespace that holds the policy, history and support bindings')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long each call to the API server may take as a whole: connecting, sending, and waiting for and reading the answer (e.g. 10s, 1m; 0 waits forever). A command that makes several calls may take longer')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: text, table, wide, name, json, yaml, jsonpath=TEMPLATE (kubectl''s JSONPath, over the JSON -o json prints) or custom-columns=HEADER:.path,... (over the listed items)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: text, table, wide, name, json, yaml, jsonpath=TEMPLATE (kubectl''s JSONPath, over the JSON -o json prints) or custom-columns=HEADER:.path,... (over the listed items)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'How much to log, as kubectl''s -v: 1 and above says which context and server; 6 and above logs each API call (method, URL, status, milliseconds)')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'How much to log, as kubectl''s -v: 1 and above says which context and server; 6 and above logs each API call (method, URL, status, milliseconds)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation prompt')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation prompt')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'kubectl-supportaccess;approve' {
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file to use (otherwise $KUBECONFIG, then ~/.kube/config)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The name of the kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The name of the kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The name of the kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The system namespace that holds the policy, history and support bindings')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The system namespace that holds the policy, history and support bindings')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long each call to the API server may take as a whole: connecting, sending, and waiting for and reading the answer (e.g. 10s, 1m; 0 waits forever). A command that makes several calls may take longer')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: text, table, wide, name, json, yaml, jsonpath=TEMPLATE (kubectl''s JSONPath, over the JSON -o json prints) or custom-columns=HEADER:.path,... (over the listed items)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: text, table, wide, name, json, yaml, jsonpath=TEMPLATE (kubectl''s JSONPath, over the JSON -o json prints) or custom-columns=HEADER:.path,... (over the listed items)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'How much to log, as kubectl''s -v: 1 and above says which context and server; 6 and above logs each API call (method, URL, status, milliseconds)')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'How much to log, as kubectl''s -v: 1 and above says which context and server; 6 and above logs each API call (method, URL, status, milliseconds)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation prompt')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation prompt')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'kubectl-supportaccess;deny' {
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Why it is denied (recorded, and shown to the requester)')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file to use (otherwise $KUBECONFIG, then ~/.kube/config)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The name of the kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The name of the kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The name of the kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The system namespace that holds the policy, history and support bindings')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The system namespace that holds the policy, history and support bindings')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long each call to the API server may take as a whole: connecting, sending, and waiting for and reading the answer (e.g. 10s, 1m; 0 waits forever). A command that makes several calls may take longer')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: text, table, wide, name, json, yaml, jsonpath=TEMPLATE (kubectl''s JSONPath, over the JSON -o json prints) or custom-columns=HEADER:.path,... (over the listed items)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: text, table, wide, name, json, yaml, jsonpath=TEMPLATE (kubectl''s JSONPath, over the JSON -o json prints) or custom-columns=HEADER:.path,... (over the listed items)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'How much to log, as kubectl''s -v: 1 and above says which context and server; 6 and above logs each API call (method, URL, status, milliseconds)')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'How much to log, as kubectl''s -v: 1 and above says which context and server; 6 and above logs each API call (method, URL, status, milliseconds)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation prompt')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation prompt')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'kubectl-supportaccess;extend' {
            [CompletionResult]::new('--by', '--by', [CompletionResultType]::ParameterName, 'How much later it ends (e.g. 1h)')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file to use (otherwise $KUBECONFIG, then ~/.kube/config)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The name of the kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The name of the kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The name of the kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The system namespace that holds the policy, history and support bindings')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The system namespace that holds the policy, history and support bindings')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long each call to the API server may take as a whole: connecting, sending, and waiting for and reading the answer (e.g. 10s, 1m; 0 waits forever). A command that makes several calls may take longer')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: text, table, wide, name, json, yaml, jsonpath=TEMPLATE (kubectl''s JSONPath, over the JSON -o json prints) or custom-columns=HEADER:.path,... (over the listed items)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: text, table, wide, name, json, yaml, jsonpath=TEMPLATE (kubectl''s JSONPath, over the JSON -o json prints) or custom-columns=HEADER:.path,... (over the listed items)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'How much to log, as kubectl''s -v: 1 and above says which context and server; 6 and above logs each API call (method, URL, status, milliseconds)')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'How much to log, as kubectl''s -v: 1 and above says which context and server; 6 and above logs each API call (method, URL, status, milliseconds)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation prompt')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation prompt')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'kubectl-supportaccess;revoke' {
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Only say what would be done (client), or have the API server and its admission guards answer every write without storing it (server)')
            [CompletionResult]::new('--contexts', '--contexts', [CompletionResultType]::ParameterName, 'Act on the contexts whose names match these shell globs (e.g. ''prod-*,eu-?'')')
            [CompletionResult]::new('--parallel', '--parallel', [CompletionResultType]::ParameterName, 'How many contexts to ask at once, with --all-contexts or --contexts (1 to 256)')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file to use (otherwise $KUBECONFIG, then ~/.kube/config)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The name of the kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The name of the kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The name of the kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The system namespace that holds the policy, history and support bindings')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The system namespace that holds the policy, history and support bindings')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long each call to the API server may take as a whole: connecting, sending, and waiting for and reading the answer (e.g. 10s, 1m; 0 waits forever). A command that makes several calls may take longer')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: text, table, wide, name, json, yaml, jsonpath=TEMPLATE (kubectl''s JSONPath, over the JSON -o json prints) or custom-columns=HEADER:.path,... (over the listed items)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: text, table, wide, name, json, yaml, jsonpath=TEMPLATE (kubectl''s JSONPath, over the JSON -o json prints) or custom-columns=HEADER:.path,... (over the listed items)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'How much to log, as kubectl''s -v: 1 and above says which context and server; 6 and above logs each API call (method, URL, status, milliseconds)')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'How much to log, as kubectl''s -v: 1 and above says which context and server; 6 and above logs each API call (method, URL, status, milliseconds)')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Revoke every request')
            [CompletionResult]::new('--all-contexts', '--all-contexts', [CompletionResultType]::ParameterName, 'Act on every context of the kubeconfig (contexts with the same cluster and user once)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation prompt')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation prompt')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'kubectl-supportaccess;end' {
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file to use (otherwise $KUBECONFIG, then ~/.kube/config)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The name of the kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The name of the kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The name of the kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The system namespace that holds the policy, history and support bindings')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The system namespace that holds the policy, history and support bindings')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long each call to the API server may take as a whole: connecting, sending, and waiting for and reading the answer (e.g. 10s, 1m; 0 waits forever). A command that makes several calls may take longer')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: text, table, wide, name, json, yaml, jsonpath=TEMPLATE (kubectl''s JSONPath, over the JSON -o json prints) or custom-columns=HEADER:.path,... (over the listed items)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: text, table, wide, name, json, yaml, jsonpath=TEMPLATE (kubectl''s JSONPath, over the JSON -o json prints) or custom-columns=HEADER:.path,... (over the listed items)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'How much to log, as kubectl''s -v: 1 and above says which context and server; 6 and above logs each API call (method, URL, status, milliseconds)')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'How much to log, as kubectl''s -v: 1 and above says which context and server; 6 and above logs each API call (method, URL, status, milliseconds)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation prompt')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation prompt')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'kubectl-supportaccess;exec' {
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file to use (otherwise $KUBECONFIG, then ~/.kube/config)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The name of the kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The name of the kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The name of the kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The system namespace that holds the policy, history and support bindings')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The system namespace that holds the policy, history and support bindings')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long each call to the API server may take as a whole: connecting, sending, and waiting for and reading the answer (e.g. 10s, 1m; 0 waits forever). A command that makes several calls may take longer')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: text, table, wide, name, json, yaml, jsonpath=TEMPLATE (kubectl''s JSONPath, over the JSON -o json prints) or custom-columns=HEADER:.path,... (over the listed items)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: text, table, wide, name, json, yaml, jsonpath=TEMPLATE (kubectl''s JSONPath, over the JSON -o json prints) or custom-columns=HEADER:.path,... (over the listed items)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'How much to log, as kubectl''s -v: 1 and above says which context and server; 6 and above logs each API call (method, URL, status, milliseconds)')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'How much to log, as kubectl''s -v: 1 and above says which context and server; 6 and above logs each API call (method, URL, status, milliseconds)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation prompt')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation prompt')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'kubectl-supportaccess;shell' {
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file to use (otherwise $KUBECONFIG, then ~/.kube/config)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The name of the kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The name of the kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The name of the kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The system namespace that holds the policy, history and support bindings')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The system namespace that holds the policy, history and support bindings')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long each call to the API server may take as a whole: connecting, sending, and waiting for and reading the answer (e.g. 10s, 1m; 0 waits forever). A command that makes several calls may take longer')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: text, table, wide, name, json, yaml, jsonpath=TEMPLATE (kubectl''s JSONPath, over the JSON -o json prints) or custom-columns=HEADER:.path,... (over the listed items)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: text, table, wide, name, json, yaml, jsonpath=TEMPLATE (kubectl''s JSONPath, over the JSON -o json prints) or custom-columns=HEADER:.path,... (over the listed items)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'How much to log, as kubectl''s -v: 1 and above says which context and server; 6 and above logs each API call (method, URL, status, milliseconds)')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'How much to log, as kubectl''s -v: 1 and above says which context and server; 6 and above logs each API call (method, URL, status, milliseconds)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation prompt')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation prompt')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'kubectl-supportaccess;sweep' {
            [CompletionResult]::new('--contexts', '--contexts', [CompletionResultType]::ParameterName, 'Act on the contexts whose names match these shell globs (e.g. ''prod-*,eu-?'')')
            [CompletionResult]::new('--parallel', '--parallel', [CompletionResultType]::ParameterName, 'How many contexts to ask at once, with --all-contexts or --contexts (1 to 256)')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file to use (otherwise $KUBECONFIG, then ~/.kube/config)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The name of the kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The name of the kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The name of the kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The system namespace that holds the policy, history and support bindings')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The system namespace that holds the policy, history and support bindings')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long each call to the API server may take as a whole: connecting, sending, and waiting for and reading the answer (e.g. 10s, 1m; 0 waits forever). A command that makes several calls may take longer')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: text, table, wide, name, json, yaml, jsonpath=TEMPLATE (kubectl''s JSONPath, over the JSON -o json prints) or custom-columns=HEADER:.path,... (over the listed items)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: text, table, wide, name, json, yaml, jsonpath=TEMPLATE (kubectl''s JSONPath, over the JSON -o json prints) or custom-columns=HEADER:.path,... (over the listed items)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'How much to log, as kubectl''s -v: 1 and above says which context and server; 6 and above logs each API call (method, URL, status, milliseconds)')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'How much to log, as kubectl''s -v: 1 and above says which context and server; 6 and above logs each API call (method, URL, status, milliseconds)')
            [CompletionResult]::new('--all-contexts', '--all-contexts', [CompletionResultType]::ParameterName, 'Act on every context of the kubeconfig (contexts with the same cluster and user once)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation prompt')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation prompt')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'kubectl-supportaccess;history' {
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'Only events newer than this (e.g. 24h, 7d)')
            [CompletionResult]::new('--against', '--against', [CompletionResultType]::ParameterName, 'With --verify: also prove that every line of this export is still in the cluster, unchanged')
            [CompletionResult]::new('--export', '--export', [CompletionResultType]::ParameterName, 'Write every line of the trail to FILE (JSON lines, a new file, 0600) and record the export')
            [CompletionResult]::new('--before', '--before', [CompletionResultType]::ParameterName, 'With --prune: the first day (YYYY-MM-DD, UTC) to keep')
            [CompletionResult]::new('--contexts', '--contexts', [CompletionResultType]::ParameterName, 'Act on the contexts whose names match these shell globs (e.g. ''prod-*,eu-?'')')
            [CompletionResult]::new('--parallel', '--parallel', [CompletionResultType]::ParameterName, 'How many contexts to ask at once, with --all-contexts or --contexts (1 to 256)')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file to use (otherwise $KUBECONFIG, then ~/.kube/config)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The name of the kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The name of the kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The name of the kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The system namespace that holds the policy, history and support bindings')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The system namespace that holds the policy, history and support bindings')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long each call to the API server may take as a whole: connecting, sending, and waiting for and reading the answer (e.g. 10s, 1m; 0 waits forever). A command that makes several calls may take longer')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: text, table, wide, name, json, yaml, jsonpath=TEMPLATE (kubectl''s JSONPath, over the JSON -o json prints) or custom-columns=HEADER:.path,... (over the listed items)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: text, table, wide, name, json, yaml, jsonpath=TEMPLATE (kubectl''s JSONPath, over the JSON -o json prints) or custom-columns=HEADER:.path,... (over the listed items)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'How much to log, as kubectl''s -v: 1 and above says which context and server; 6 and above logs each API call (method, URL, status, milliseconds)')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'How much to log, as kubectl''s -v: 1 and above says which context and server; 6 and above logs each API call (method, URL, status, milliseconds)')
            [CompletionResult]::new('--verify', '--verify', [CompletionResultType]::ParameterName, 'Check the trail''s hash chain and name each line that does not hold (exit 1)')
            [CompletionResult]::new('--prune', '--prune', [CompletionResultType]::ParameterName, 'Delete the trail''s parts from before --before (the owner''s; refused unless they were exported)')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'With --prune: prune lines that were never exported')
            [CompletionResult]::new('--all-contexts', '--all-contexts', [CompletionResultType]::ParameterName, 'Act on every context of the kubeconfig (contexts with the same cluster and user once)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation prompt')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation prompt')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'kubectl-supportaccess;roles' {
            [CompletionResult]::new('--contexts', '--contexts', [CompletionResultType]::ParameterName, 'Act on the contexts whose names match these shell globs (e.g. ''prod-*,eu-?'')')
            [CompletionResult]::new('--parallel', '--parallel', [CompletionResultType]::ParameterName, 'How many contexts to ask at once, with --all-contexts or --contexts (1 to 256)')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file to use (otherwise $KUBECONFIG, then ~/.kube/config)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The name of the kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The name of the kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The name of the kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The system namespace that holds the policy, history and support bindings')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The system namespace that holds the policy, history and support bindings')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long each call to the API server may take as a whole: connecting, sending, and waiting for and reading the answer (e.g. 10s, 1m; 0 waits forever). A command that makes several calls may take longer')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: text, table, wide, name, json, yaml, jsonpath=TEMPLATE (kubectl''s JSONPath, over the JSON -o json prints) or custom-columns=HEADER:.path,... (over the listed items)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: text, table, wide, name, json, yaml, jsonpath=TEMPLATE (kubectl''s JSONPath, over the JSON -o json prints) or custom-columns=HEADER:.path,... (over the listed items)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'How much to log, as kubectl''s -v: 1 and above says which context and server; 6 and above logs each API call (method, URL, status, milliseconds)')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'How much to log, as kubectl''s -v: 1 and above says which context and server; 6 and above logs each API call (method, URL, status, milliseconds)')
            [CompletionResult]::new('--verify', '--verify', [CompletionResultType]::ParameterName, 'Ask the API server what each support identity can and cannot do')
            [CompletionResult]::new('--all-contexts', '--all-contexts', [CompletionResultType]::ParameterName, 'Act on every context of the kubeconfig (contexts with the same cluster and user once)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation prompt')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation prompt')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'kubectl-supportaccess;uninstall' {
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Only say what would be done (client), or have the API server and its admission guards answer every write without storing it (server)')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file to use (otherwise $KUBECONFIG, then ~/.kube/config)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The name of the kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The name of the kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The name of the kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The system namespace that holds the policy, history and support bindings')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The system namespace that holds the policy, history and support bindings')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long each call to the API server may take as a whole: connecting, sending, and waiting for and reading the answer (e.g. 10s, 1m; 0 waits forever). A command that makes several calls may take longer')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: text, table, wide, name, json, yaml, jsonpath=TEMPLATE (kubectl''s JSONPath, over the JSON -o json prints) or custom-columns=HEADER:.path,... (over the listed items)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: text, table, wide, name, json, yaml, jsonpath=TEMPLATE (kubectl''s JSONPath, over the JSON -o json prints) or custom-columns=HEADER:.path,... (over the listed items)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'How much to log, as kubectl''s -v: 1 and above says which context and server; 6 and above logs each API call (method, URL, status, milliseconds)')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'How much to log, as kubectl''s -v: 1 and above says which context and server; 6 and above logs each API call (method, URL, status, milliseconds)')
            [CompletionResult]::new('--purge', '--purge', [CompletionResultType]::ParameterName, 'Also delete the audit history')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation prompt')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation prompt')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'kubectl-supportaccess;completion' {
            [CompletionResult]::new('--install-kubectl-shim', '--install-kubectl-shim', [CompletionResultType]::ParameterName, 'Link `kubectl_complete-supportaccess` next to the plugin (default: krew''s bin directory), so that `kubectl supportaccess <TAB>` completes through kubectl')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file to use (otherwise $KUBECONFIG, then ~/.kube/config)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The name of the kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The name of the kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The name of the kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The system namespace that holds the policy, history and support bindings')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The system namespace that holds the policy, history and support bindings')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long each call to the API server may take as a whole: connecting, sending, and waiting for and reading the answer (e.g. 10s, 1m; 0 waits forever). A command that makes several calls may take longer')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: text, table, wide, name, json, yaml, jsonpath=TEMPLATE (kubectl''s JSONPath, over the JSON -o json prints) or custom-columns=HEADER:.path,... (over the listed items)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: text, table, wide, name, json, yaml, jsonpath=TEMPLATE (kubectl''s JSONPath, over the JSON -o json prints) or custom-columns=HEADER:.path,... (over the listed items)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'How much to log, as kubectl''s -v: 1 and above says which context and server; 6 and above logs each API call (method, URL, status, milliseconds)')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'How much to log, as kubectl''s -v: 1 and above says which context and server; 6 and above logs each API call (method, URL, status, milliseconds)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation prompt')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation prompt')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'kubectl-supportaccess;version' {
            [CompletionResult]::new('--contexts', '--contexts', [CompletionResultType]::ParameterName, 'Act on the contexts whose names match these shell globs (e.g. ''prod-*,eu-?'')')
            [CompletionResult]::new('--parallel', '--parallel', [CompletionResultType]::ParameterName, 'How many contexts to ask at once, with --all-contexts or --contexts (1 to 256)')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file to use (otherwise $KUBECONFIG, then ~/.kube/config)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The name of the kubeconfig context to use')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The name of the kubeconfig cluster to use')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The name of the kubeconfig user to use')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The system namespace that holds the policy, history and support bindings')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The system namespace that holds the policy, history and support bindings')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long each call to the API server may take as a whole: connecting, sending, and waiting for and reading the answer (e.g. 10s, 1m; 0 waits forever). A command that makes several calls may take longer')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: text, table, wide, name, json, yaml, jsonpath=TEMPLATE (kubectl''s JSONPath, over the JSON -o json prints) or custom-columns=HEADER:.path,... (over the listed items)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: text, table, wide, name, json, yaml, jsonpath=TEMPLATE (kubectl''s JSONPath, over the JSON -o json prints) or custom-columns=HEADER:.path,... (over the listed items)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'How much to log, as kubectl''s -v: 1 and above says which context and server; 6 and above logs each API call (method, URL, status, milliseconds)')
            [CompletionResult]::new('--v', '--v', [CompletionResultType]::ParameterName, 'How much to log, as kubectl''s -v: 1 and above says which context and server; 6 and above logs each API call (method, URL, status, milliseconds)')
            [CompletionResult]::new('--client', '--client', [CompletionResultType]::ParameterName, 'Print only the plugin''s version; do not contact the cluster')
            [CompletionResult]::new('--all-contexts', '--all-contexts', [CompletionResultType]::ParameterName, 'Act on every context of the kubeconfig (contexts with the same cluster and user once)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation prompt')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Answer yes to every confirmation prompt')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'kubectl-supportaccess;help' {
            [CompletionResult]::new('enable', 'enable', [CompletionResultType]::ParameterValue, 'Enable support access: install the support roles and flow control, write the policy')
            [CompletionResult]::new('disable', 'disable', [CompletionResultType]::ParameterValue, 'Disable support access: no new requests or renewals; running sessions drain')
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'Show whether support access is enabled, which roles, and the active requests')
            [CompletionResult]::new('request', 'request', [CompletionResultType]::ParameterValue, 'Request support access: create the grant and mint a short-lived credential for it')
            [CompletionResult]::new('renew', 'renew', [CompletionResultType]::ParameterValue, 'Mint a fresh credential for a live request, never past its end')
            [CompletionResult]::new('approve', 'approve', [CompletionResultType]::ParameterValue, 'Approve a pending request or extension (the cluster owner; never one''s own)')
            [CompletionResult]::new('deny', 'deny', [CompletionResultType]::ParameterValue, 'Deny a pending request or extension, saying why')
            [CompletionResult]::new('extend', 'extend', [CompletionResultType]::ParameterValue, 'Move a live request''s end later, within the policy''s maximum from its start')
            [CompletionResult]::new('revoke', 'revoke', [CompletionResultType]::ParameterValue, 'Revoke requests now: their bindings, then their ServiceAccounts, are deleted')
            [CompletionResult]::new('end', 'end', [CompletionResultType]::ParameterValue, 'End one''s own request now')
            [CompletionResult]::new('exec', 'exec', [CompletionResultType]::ParameterValue, 'Run a command with KUBECONFIG pointing at a request''s credential')
            [CompletionResult]::new('shell', 'shell', [CompletionResultType]::ParameterValue, 'Start $SHELL with KUBECONFIG pointing at a request''s credential')
            [CompletionResult]::new('sweep', 'sweep', [CompletionResultType]::ParameterValue, 'Delete expired and invalid support bindings, and record it')
            [CompletionResult]::new('history', 'history', [CompletionResultType]::ParameterValue, 'Show the audit trail: every request, how and when it ended')
            [CompletionResult]::new('roles', 'roles', [CompletionResultType]::ParameterValue, 'Show what each support role may do; --verify asks the API server')
            [CompletionResult]::new('uninstall', 'uninstall', [CompletionResultType]::ParameterValue, 'Remove every support binding, the roles, the flow control and the policy')
            [CompletionResult]::new('completion', 'completion', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('version', 'version', [CompletionResultType]::ParameterValue, 'Print the plugin''s version and the API server''s version')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'kubectl-supportaccess;help;enable' {
            break
        }
        'kubectl-supportaccess;help;disable' {
            break
        }
        'kubectl-supportaccess;help;get' {
            break
        }
        'kubectl-supportaccess;help;request' {
            break
        }
        'kubectl-supportaccess;help;renew' {
            break
        }
        'kubectl-supportaccess;help;approve' {
            break
        }
        'kubectl-supportaccess;help;deny' {
            break
        }
        'kubectl-supportaccess;help;extend' {
            break
        }
        'kubectl-supportaccess;help;revoke' {
            break
        }
        'kubectl-supportaccess;help;end' {
            break
        }
        'kubectl-supportaccess;help;exec' {
            break
        }
        'kubectl-supportaccess;help;shell' {
            break
        }
        'kubectl-supportaccess;help;sweep' {
            break
        }
        'kubectl-supportaccess;help;history' {
            break
        }
        'kubectl-supportaccess;help;roles' {
            break
        }
        'kubectl-supportaccess;help;uninstall' {
            break
        }
        'kubectl-supportaccess;help;completion' {
            break
        }
        'kubectl-supportaccess;help;version' {
            break
        }
        'kubectl-supportaccess;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
