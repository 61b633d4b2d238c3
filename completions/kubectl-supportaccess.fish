# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_kubectl_supportaccess_global_optspecs
    string join \n kubeconfig= context= cluster= user= n/namespace= request-timeout= o/output= y/yes v/v= h/help V/version
end

function __fish_kubectl_supportaccess_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_kubectl_supportaccess_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_kubectl_supportaccess_using_subcommand
    set -l cmd (__fish_kubectl_supportaccess_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_needs_command" -l kubeconfig -d 'Path to the kubeconfig file to use (otherwise $KUBECONFIG, then ~/.kube/config)' -r -F
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_needs_command" -l context -d 'The name of the kubeconfig context to use' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_needs_command" -l cluster -d 'The name of the kubeconfig cluster to use' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_needs_command" -l user -d 'The name of the kubeconfig user to use' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_needs_command" -s n -l namespace -d 'The system namespace that holds the policy, history and support bindings' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_needs_command" -l request-timeout -d 'How long each call to the API server may take as a whole: connecting, sending, and waiting for and reading the answer (e.g. 10s, 1m; 0 waits forever). A command that makes several calls may take longer' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_needs_command" -s o -l output -d 'Output format: text, table, wide, name, json, yaml, jsonpath=TEMPLATE (kubectl\'s JSONPath, over the JSON -o json prints) or custom-columns=HEADER:.path,... (over the listed items)' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_needs_command" -s v -l v -d 'How much to log, as kubectl\'s -v: 1 and above says which context and server; 6 and above logs each API call (method, URL, status, milliseconds)' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_needs_command" -s y -l yes -d 'Answer yes to every confirmation prompt'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_needs_command" -s h -l help -d 'Print help'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_needs_command" -s V -l version -d 'Print version'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_needs_command" -f -a "enable" -d 'Enable support access: install the support roles and flow control, write the policy'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_needs_command" -f -a "disable" -d 'Disable support access: no new requests or renewals; running sessions drain'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_needs_command" -f -a "get" -d 'Show whether support access is enabled, which roles, and the active requests'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_needs_command" -f -a "request" -d 'Request support access: create the grant and mint a short-lived credential for it'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_needs_command" -f -a "renew" -d 'Mint a fresh credential for a live request, never past its end'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_needs_command" -f -a "approve" -d 'Approve a pending request or extension (the cluster owner; never one\'s own)'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_needs_command" -f -a "deny" -d 'Deny a pending request or extension, saying why'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_needs_command" -f -a "extend" -d 'Move a live request\'s end later, within the policy\'s maximum from its start'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_needs_command" -f -a "revoke" -d 'Revoke requests now: their bindings, then their ServiceAccounts, are deleted'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_needs_command" -f -a "end" -d 'End one\'s own request now'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_needs_command" -f -a "exec" -d 'Run a command with KUBECONFIG pointing at a request\'s credential'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_needs_command" -f -a "shell" -d 'Start $SHELL with KUBECONFIG pointing at a request\'s credential'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_needs_command" -f -a "sweep" -d 'Delete expired and invalid support bindings, and record it'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_needs_command" -f -a "history" -d 'Show the audit trail: every request, how and when it ended'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_needs_command" -f -a "roles" -d 'Show what each support role may do; --verify asks the API server'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_needs_command" -f -a "uninstall" -d 'Remove every support binding, the roles, the flow control and the policy'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_needs_command" -f -a "completion" -d 'Print a shell completion script'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_needs_command" -f -a "version" -d 'Print the plugin\'s version and the API server\'s version'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand enable" -l dry-run -d 'Only say what would be done (client), or have the API server and its admission guards answer every write without storing it (server)' -r -f -a "none\t''
client\t'Say what would be done; write nothing'
server\t'Send every write with the API server\'s dry run: the API server and its admission guards answer each, and nothing is stored'"
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand enable" -l contexts -d 'Act on the contexts whose names match these shell globs (e.g. \'prod-*,eu-?\')' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand enable" -l parallel -d 'How many contexts to ask at once, with --all-contexts or --contexts (1 to 256)' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand enable" -l enabled-roles -d 'Roles support may request: readonly, operator (operator implies readonly)' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand enable" -l max-duration -d 'The longest a single request may last (e.g. 8h, 24h)' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand enable" -l credential-ttl -d 'The lifetime of each minted credential (at least 10m, at most --max-duration)' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand enable" -l system-namespaces -d 'Namespaces where support may read logs (and, for operator, exec)' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand enable" -l operator-namespaces -d 'Namespaces where only operator requests may read logs and exec (default slurm)' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand enable" -l guardrails -d 'Whether the API server refuses a support identity\'s changes to pod templates, nodes (beyond cordon) and GPU/network operator images (default on)' -r -f -a "on\t''
off\t''"
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand enable" -l approval -d 'Whether each request waits for the owner\'s `approve` (default none: enabled means any support engineer may get in, as Crusoe\'s)' -r -f -a "none\t''
required\t''"
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand enable" -l identity -d 'Whose identity a request grants: `serviceaccount` (the default: a ServiceAccount per request, whose short-lived tokens the API server itself expires) or `own` (the requester\'s own user, as its kubeconfig logs in, e.g. through OIDC: the audit log names the engineer and no token is made; a record past its end then grants until a sweep deletes it). Switched only while no request is live' -r -f -a "own\t''
serviceaccount\t''"
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand enable" -l pending-ttl -d 'How long a request waits for approval before it expires (default 1h)' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand enable" -l approvals -d 'How many distinct approvers, none of them its requester, a request (and an extension) needs before it grants anything, with --approval required (1 to 5, default 1)' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand enable" -l reason-pattern -d 'A regular expression (RE2) every request\'s --reason must match, checked by `request` and by the API server, e.g. \'^CASE-[0-9]+: \'. Kept when left out; "" allows any reason' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand enable" -l trail-warn-lines -d 'How many lines the trail may hold before `get` warns that it is time to export and prune (at least 1000; default 500000). Kept when left out' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand enable" -l clusterroles -d 'Existing ClusterRoles support may request besides readonly and operator (jitsudo\'s model): NAME (cluster-wide or in one namespace) or NAME/namespaced (in a namespace only), e.g. view,edit/namespaced. Kept when left out; "" allows none' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand enable" -l default-scope -d 'The namespace a request without --scope is made in (jitsudo\'s default_namespace); "" (the default) makes it cluster-wide' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand enable" -l requesters -d 'Who may request support access without holding more (the crusoe-support-requester roles): user:NAME, group:NAME, serviceaccount:NS/NAME. Kept when left out; "" removes them' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand enable" -l approvers -d 'Who may approve, deny and revoke requests (the crusoe-support-approver roles), spelled as --requesters. Kept when left out; "" removes them' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand enable" -l kubeconfig -d 'Path to the kubeconfig file to use (otherwise $KUBECONFIG, then ~/.kube/config)' -r -F
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand enable" -l context -d 'The name of the kubeconfig context to use' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand enable" -l cluster -d 'The name of the kubeconfig cluster to use' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand enable" -l user -d 'The name of the kubeconfig user to use' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand enable" -s n -l namespace -d 'The system namespace that holds the policy, history and support bindings' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand enable" -l request-timeout -d 'How long each call to the API server may take as a whole: connecting, sending, and waiting for and reading the answer (e.g. 10s, 1m; 0 waits forever). A command that makes several calls may take longer' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand enable" -s o -l output -d 'Output format: text, table, wide, name, json, yaml, jsonpath=TEMPLATE (kubectl\'s JSONPath, over the JSON -o json prints) or custom-columns=HEADER:.path,... (over the listed items)' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand enable" -s v -l v -d 'How much to log, as kubectl\'s -v: 1 and above says which context and server; 6 and above logs each API call (method, URL, status, milliseconds)' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand enable" -l all-contexts -d 'Act on every context of the kubeconfig (contexts with the same cluster and user once)'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand enable" -s y -l yes -d 'Answer yes to every confirmation prompt'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand enable" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand enable" -s V -l version -d 'Print version'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand disable" -l dry-run -d 'Only say what would be done (client), or have the API server and its admission guards answer every write without storing it (server)' -r -f -a "none\t''
client\t'Say what would be done; write nothing'
server\t'Send every write with the API server\'s dry run: the API server and its admission guards answer each, and nothing is stored'"
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand disable" -l contexts -d 'Act on the contexts whose names match these shell globs (e.g. \'prod-*,eu-?\')' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand disable" -l parallel -d 'How many contexts to ask at once, with --all-contexts or --contexts (1 to 256)' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand disable" -l kubeconfig -d 'Path to the kubeconfig file to use (otherwise $KUBECONFIG, then ~/.kube/config)' -r -F
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand disable" -l context -d 'The name of the kubeconfig context to use' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand disable" -l cluster -d 'The name of the kubeconfig cluster to use' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand disable" -l user -d 'The name of the kubeconfig user to use' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand disable" -s n -l namespace -d 'The system namespace that holds the policy, history and support bindings' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand disable" -l request-timeout -d 'How long each call to the API server may take as a whole: connecting, sending, and waiting for and reading the answer (e.g. 10s, 1m; 0 waits forever). A command that makes several calls may take longer' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand disable" -s o -l output -d 'Output format: text, table, wide, name, json, yaml, jsonpath=TEMPLATE (kubectl\'s JSONPath, over the JSON -o json prints) or custom-columns=HEADER:.path,... (over the listed items)' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand disable" -s v -l v -d 'How much to log, as kubectl\'s -v: 1 and above says which context and server; 6 and above logs each API call (method, URL, status, milliseconds)' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand disable" -l all-contexts -d 'Act on every context of the kubeconfig (contexts with the same cluster and user once)'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand disable" -l now -d 'Also delete every support binding and ServiceAccount now (immediate revocation: 403 at once, every token 401 within about 10s); asks first on a terminal'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand disable" -s y -l yes -d 'Answer yes to every confirmation prompt'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand disable" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand disable" -s V -l version -d 'Print version'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand get" -l contexts -d 'Act on the contexts whose names match these shell globs (e.g. \'prod-*,eu-?\')' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand get" -l parallel -d 'How many contexts to ask at once, with --all-contexts or --contexts (1 to 256)' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand get" -l exec -d 'With --watch: run CMD (with sh -c) for each event, the event as JSON on its stdin ($SUPPORTACCESS_EVENT and $SUPPORTACCESS_ID name it); a failure is reported and the watch goes on. E.g. \'notify-send "support access" "$SUPPORTACCESS_EVENT"\'' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand get" -l exec-timeout -d 'How long --exec\'s command may run for one event before it is stopped' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand get" -l kubeconfig -d 'Path to the kubeconfig file to use (otherwise $KUBECONFIG, then ~/.kube/config)' -r -F
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand get" -l context -d 'The name of the kubeconfig context to use' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand get" -l cluster -d 'The name of the kubeconfig cluster to use' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand get" -l user -d 'The name of the kubeconfig user to use' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand get" -s n -l namespace -d 'The system namespace that holds the policy, history and support bindings' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand get" -l request-timeout -d 'How long each call to the API server may take as a whole: connecting, sending, and waiting for and reading the answer (e.g. 10s, 1m; 0 waits forever). A command that makes several calls may take longer' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand get" -s o -l output -d 'Output format: text, table, wide, name, json, yaml, jsonpath=TEMPLATE (kubectl\'s JSONPath, over the JSON -o json prints) or custom-columns=HEADER:.path,... (over the listed items)' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand get" -s v -l v -d 'How much to log, as kubectl\'s -v: 1 and above says which context and server; 6 and above logs each API call (method, URL, status, milliseconds)' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand get" -l all-contexts -d 'Act on every context of the kubeconfig (contexts with the same cluster and user once)'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand get" -s w -l watch -d 'Stay open and print one line as each request is made, waits for an answer, is approved or denied, extended, revoked or ends (a watch on the support bindings); on a terminal the bell rings for a request that waits. With -o json, one JSON object per line'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand get" -s y -l yes -d 'Answer yes to every confirmation prompt'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand get" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand get" -s V -l version -d 'Print version'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand request" -l dry-run -d 'Only say what would be done (client), or have the API server and its admission guards answer every write without storing it (server)' -r -f -a "none\t''
client\t'Say what would be done; write nothing'
server\t'Send every write with the API server\'s dry run: the API server and its admission guards answer each, and nothing is stored'"
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand request" -l role -d 'The role to request: readonly, operator, or an existing ClusterRole the owner allows (`enable --clusterroles`; `get` lists them)' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand request" -l reason -d 'Why access is needed (recorded on the grant and in the history)' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand request" -l duration -d 'How long the access lasts (e.g. 2h), at most the policy\'s maximum: the request ends this long after it is made. The shortest request lasts 11m, so that its first credential (the TokenRequest API issues none shorter than 10m) fits with a minute to mint it: `--duration 10m` ends 11m later' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand request" -l scope -d 'Limit the grant to one namespace (a RoleBinding instead of a ClusterRoleBinding), which becomes the kubeconfig\'s namespace; \'*\' or \'\' is cluster-wide. Without it, the owner\'s default scope (`enable --default-scope`), else cluster-wide' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand request" -l requestor -d 'Who the access is for (default: the caller\'s identity)' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand request" -l kubeconfig-out -d 'Where to write the credential\'s kubeconfig' -r -F
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand request" -l kubeconfig -d 'Path to the kubeconfig file to use (otherwise $KUBECONFIG, then ~/.kube/config)' -r -F
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand request" -l context -d 'The name of the kubeconfig context to use' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand request" -l cluster -d 'The name of the kubeconfig cluster to use' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand request" -l user -d 'The name of the kubeconfig user to use' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand request" -s n -l namespace -d 'The system namespace that holds the policy, history and support bindings' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand request" -l request-timeout -d 'How long each call to the API server may take as a whole: connecting, sending, and waiting for and reading the answer (e.g. 10s, 1m; 0 waits forever). A command that makes several calls may take longer' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand request" -s o -l output -d 'Output format: text, table, wide, name, json, yaml, jsonpath=TEMPLATE (kubectl\'s JSONPath, over the JSON -o json prints) or custom-columns=HEADER:.path,... (over the listed items)' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand request" -s v -l v -d 'How much to log, as kubectl\'s -v: 1 and above says which context and server; 6 and above logs each API call (method, URL, status, milliseconds)' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand request" -s y -l yes -d 'Answer yes to every confirmation prompt'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand request" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand request" -s V -l version -d 'Print version'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand renew" -l kubeconfig -d 'Path to the kubeconfig file to use (otherwise $KUBECONFIG, then ~/.kube/config)' -r -F
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand renew" -l context -d 'The name of the kubeconfig context to use' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand renew" -l cluster -d 'The name of the kubeconfig cluster to use' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand renew" -l user -d 'The name of the kubeconfig user to use' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand renew" -s n -l namespace -d 'The system namespace that holds the policy, history and support bindings' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand renew" -l request-timeout -d 'How long each call to the API server may take as a whole: connecting, sending, and waiting for and reading the answer (e.g. 10s, 1m; 0 waits forever). A command that makes several calls may take longer' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand renew" -s o -l output -d 'Output format: text, table, wide, name, json, yaml, jsonpath=TEMPLATE (kubectl\'s JSONPath, over the JSON -o json prints) or custom-columns=HEADER:.path,... (over the listed items)' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand renew" -s v -l v -d 'How much to log, as kubectl\'s -v: 1 and above says which context and server; 6 and above logs each API call (method, URL, status, milliseconds)' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand renew" -s y -l yes -d 'Answer yes to every confirmation prompt'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand renew" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand renew" -s V -l version -d 'Print version'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand approve" -l kubeconfig -d 'Path to the kubeconfig file to use (otherwise $KUBECONFIG, then ~/.kube/config)' -r -F
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand approve" -l context -d 'The name of the kubeconfig context to use' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand approve" -l cluster -d 'The name of the kubeconfig cluster to use' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand approve" -l user -d 'The name of the kubeconfig user to use' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand approve" -s n -l namespace -d 'The system namespace that holds the policy, history and support bindings' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand approve" -l request-timeout -d 'How long each call to the API server may take as a whole: connecting, sending, and waiting for and reading the answer (e.g. 10s, 1m; 0 waits forever). A command that makes several calls may take longer' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand approve" -s o -l output -d 'Output format: text, table, wide, name, json, yaml, jsonpath=TEMPLATE (kubectl\'s JSONPath, over the JSON -o json prints) or custom-columns=HEADER:.path,... (over the listed items)' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand approve" -s v -l v -d 'How much to log, as kubectl\'s -v: 1 and above says which context and server; 6 and above logs each API call (method, URL, status, milliseconds)' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand approve" -s y -l yes -d 'Answer yes to every confirmation prompt'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand approve" -s h -l help -d 'Print help'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand approve" -s V -l version -d 'Print version'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand deny" -l reason -d 'Why it is denied (recorded, and shown to the requester)' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand deny" -l kubeconfig -d 'Path to the kubeconfig file to use (otherwise $KUBECONFIG, then ~/.kube/config)' -r -F
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand deny" -l context -d 'The name of the kubeconfig context to use' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand deny" -l cluster -d 'The name of the kubeconfig cluster to use' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand deny" -l user -d 'The name of the kubeconfig user to use' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand deny" -s n -l namespace -d 'The system namespace that holds the policy, history and support bindings' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand deny" -l request-timeout -d 'How long each call to the API server may take as a whole: connecting, sending, and waiting for and reading the answer (e.g. 10s, 1m; 0 waits forever). A command that makes several calls may take longer' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand deny" -s o -l output -d 'Output format: text, table, wide, name, json, yaml, jsonpath=TEMPLATE (kubectl\'s JSONPath, over the JSON -o json prints) or custom-columns=HEADER:.path,... (over the listed items)' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand deny" -s v -l v -d 'How much to log, as kubectl\'s -v: 1 and above says which context and server; 6 and above logs each API call (method, URL, status, milliseconds)' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand deny" -s y -l yes -d 'Answer yes to every confirmation prompt'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand deny" -s h -l help -d 'Print help'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand deny" -s V -l version -d 'Print version'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand extend" -l by -d 'How much later it ends (e.g. 1h)' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand extend" -l kubeconfig -d 'Path to the kubeconfig file to use (otherwise $KUBECONFIG, then ~/.kube/config)' -r -F
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand extend" -l context -d 'The name of the kubeconfig context to use' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand extend" -l cluster -d 'The name of the kubeconfig cluster to use' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand extend" -l user -d 'The name of the kubeconfig user to use' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand extend" -s n -l namespace -d 'The system namespace that holds the policy, history and support bindings' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand extend" -l request-timeout -d 'How long each call to the API server may take as a whole: connecting, sending, and waiting for and reading the answer (e.g. 10s, 1m; 0 waits forever). A command that makes several calls may take longer' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand extend" -s o -l output -d 'Output format: text, table, wide, name, json, yaml, jsonpath=TEMPLATE (kubectl\'s JSONPath, over the JSON -o json prints) or custom-columns=HEADER:.path,... (over the listed items)' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand extend" -s v -l v -d 'How much to log, as kubectl\'s -v: 1 and above says which context and server; 6 and above logs each API call (method, URL, status, milliseconds)' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand extend" -s y -l yes -d 'Answer yes to every confirmation prompt'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand extend" -s h -l help -d 'Print help'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand extend" -s V -l version -d 'Print version'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand revoke" -l dry-run -d 'Only say what would be done (client), or have the API server and its admission guards answer every write without storing it (server)' -r -f -a "none\t''
client\t'Say what would be done; write nothing'
server\t'Send every write with the API server\'s dry run: the API server and its admission guards answer each, and nothing is stored'"
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand revoke" -l contexts -d 'Act on the contexts whose names match these shell globs (e.g. \'prod-*,eu-?\')' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand revoke" -l parallel -d 'How many contexts to ask at once, with --all-contexts or --contexts (1 to 256)' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand revoke" -l kubeconfig -d 'Path to the kubeconfig file to use (otherwise $KUBECONFIG, then ~/.kube/config)' -r -F
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand revoke" -l context -d 'The name of the kubeconfig context to use' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand revoke" -l cluster -d 'The name of the kubeconfig cluster to use' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand revoke" -l user -d 'The name of the kubeconfig user to use' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand revoke" -s n -l namespace -d 'The system namespace that holds the policy, history and support bindings' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand revoke" -l request-timeout -d 'How long each call to the API server may take as a whole: connecting, sending, and waiting for and reading the answer (e.g. 10s, 1m; 0 waits forever). A command that makes several calls may take longer' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand revoke" -s o -l output -d 'Output format: text, table, wide, name, json, yaml, jsonpath=TEMPLATE (kubectl\'s JSONPath, over the JSON -o json prints) or custom-columns=HEADER:.path,... (over the listed items)' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand revoke" -s v -l v -d 'How much to log, as kubectl\'s -v: 1 and above says which context and server; 6 and above logs each API call (method, URL, status, milliseconds)' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand revoke" -l all -d 'Revoke every request'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand revoke" -l all-contexts -d 'Act on every context of the kubeconfig (contexts with the same cluster and user once)'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand revoke" -s y -l yes -d 'Answer yes to every confirmation prompt'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand revoke" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand revoke" -s V -l version -d 'Print version'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand end" -l kubeconfig -d 'Path to the kubeconfig file to use (otherwise $KUBECONFIG, then ~/.kube/config)' -r -F
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand end" -l context -d 'The name of the kubeconfig context to use' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand end" -l cluster -d 'The name of the kubeconfig cluster to use' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand end" -l user -d 'The name of the kubeconfig user to use' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand end" -s n -l namespace -d 'The system namespace that holds the policy, history and support bindings' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand end" -l request-timeout -d 'How long each call to the API server may take as a whole: connecting, sending, and waiting for and reading the answer (e.g. 10s, 1m; 0 waits forever). A command that makes several calls may take longer' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand end" -s o -l output -d 'Output format: text, table, wide, name, json, yaml, jsonpath=TEMPLATE (kubectl\'s JSONPath, over the JSON -o json prints) or custom-columns=HEADER:.path,... (over the listed items)' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand end" -s v -l v -d 'How much to log, as kubectl\'s -v: 1 and above says which context and server; 6 and above logs each API call (method, URL, status, milliseconds)' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand end" -s y -l yes -d 'Answer yes to every confirmation prompt'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand end" -s h -l help -d 'Print help'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand end" -s V -l version -d 'Print version'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand exec" -l kubeconfig -d 'Path to the kubeconfig file to use (otherwise $KUBECONFIG, then ~/.kube/config)' -r -F
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand exec" -l context -d 'The name of the kubeconfig context to use' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand exec" -l cluster -d 'The name of the kubeconfig cluster to use' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand exec" -l user -d 'The name of the kubeconfig user to use' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand exec" -s n -l namespace -d 'The system namespace that holds the policy, history and support bindings' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand exec" -l request-timeout -d 'How long each call to the API server may take as a whole: connecting, sending, and waiting for and reading the answer (e.g. 10s, 1m; 0 waits forever). A command that makes several calls may take longer' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand exec" -s o -l output -d 'Output format: text, table, wide, name, json, yaml, jsonpath=TEMPLATE (kubectl\'s JSONPath, over the JSON -o json prints) or custom-columns=HEADER:.path,... (over the listed items)' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand exec" -s v -l v -d 'How much to log, as kubectl\'s -v: 1 and above says which context and server; 6 and above logs each API call (method, URL, status, milliseconds)' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand exec" -s y -l yes -d 'Answer yes to every confirmation prompt'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand exec" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand exec" -s V -l version -d 'Print version'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand shell" -l kubeconfig -d 'Path to the kubeconfig file to use (otherwise $KUBECONFIG, then ~/.kube/config)' -r -F
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand shell" -l context -d 'The name of the kubeconfig context to use' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand shell" -l cluster -d 'The name of the kubeconfig cluster to use' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand shell" -l user -d 'The name of the kubeconfig user to use' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand shell" -s n -l namespace -d 'The system namespace that holds the policy, history and support bindings' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand shell" -l request-timeout -d 'How long each call to the API server may take as a whole: connecting, sending, and waiting for and reading the answer (e.g. 10s, 1m; 0 waits forever). A command that makes several calls may take longer' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand shell" -s o -l output -d 'Output format: text, table, wide, name, json, yaml, jsonpath=TEMPLATE (kubectl\'s JSONPath, over the JSON -o json prints) or custom-columns=HEADER:.path,... (over the listed items)' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand shell" -s v -l v -d 'How much to log, as kubectl\'s -v: 1 and above says which context and server; 6 and above logs each API call (method, URL, status, milliseconds)' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand shell" -s y -l yes -d 'Answer yes to every confirmation prompt'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand shell" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand shell" -s V -l version -d 'Print version'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand sweep" -l contexts -d 'Act on the contexts whose names match these shell globs (e.g. \'prod-*,eu-?\')' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand sweep" -l parallel -d 'How many contexts to ask at once, with --all-contexts or --contexts (1 to 256)' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand sweep" -l kubeconfig -d 'Path to the kubeconfig file to use (otherwise $KUBECONFIG, then ~/.kube/config)' -r -F
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand sweep" -l context -d 'The name of the kubeconfig context to use' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand sweep" -l cluster -d 'The name of the kubeconfig cluster to use' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand sweep" -l user -d 'The name of the kubeconfig user to use' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand sweep" -s n -l namespace -d 'The system namespace that holds the policy, history and support bindings' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand sweep" -l request-timeout -d 'How long each call to the API server may take as a whole: connecting, sending, and waiting for and reading the answer (e.g. 10s, 1m; 0 waits forever). A command that makes several calls may take longer' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand sweep" -s o -l output -d 'Output format: text, table, wide, name, json, yaml, jsonpath=TEMPLATE (kubectl\'s JSONPath, over the JSON -o json prints) or custom-columns=HEADER:.path,... (over the listed items)' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand sweep" -s v -l v -d 'How much to log, as kubectl\'s -v: 1 and above says which context and server; 6 and above logs each API call (method, URL, status, milliseconds)' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand sweep" -l all-contexts -d 'Act on every context of the kubeconfig (contexts with the same cluster and user once)'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand sweep" -s y -l yes -d 'Answer yes to every confirmation prompt'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand sweep" -s h -l help -d 'Print help'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand sweep" -s V -l version -d 'Print version'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand history" -l since -d 'Only events newer than this (e.g. 24h, 7d)' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand history" -l against -d 'With --verify: also prove that every line of this export is still in the cluster, unchanged' -r -F
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand history" -l export -d 'Write every line of the trail to FILE (JSON lines, a new file, 0600) and record the export' -r -F
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand history" -l before -d 'With --prune: the first day (YYYY-MM-DD, UTC) to keep' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand history" -l contexts -d 'Act on the contexts whose names match these shell globs (e.g. \'prod-*,eu-?\')' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand history" -l parallel -d 'How many contexts to ask at once, with --all-contexts or --contexts (1 to 256)' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand history" -l kubeconfig -d 'Path to the kubeconfig file to use (otherwise $KUBECONFIG, then ~/.kube/config)' -r -F
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand history" -l context -d 'The name of the kubeconfig context to use' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand history" -l cluster -d 'The name of the kubeconfig cluster to use' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand history" -l user -d 'The name of the kubeconfig user to use' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand history" -s n -l namespace -d 'The system namespace that holds the policy, history and support bindings' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand history" -l request-timeout -d 'How long each call to the API server may take as a whole: connecting, sending, and waiting for and reading the answer (e.g. 10s, 1m; 0 waits forever). A command that makes several calls may take longer' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand history" -s o -l output -d 'Output format: text, table, wide, name, json, yaml, jsonpath=TEMPLATE (kubectl\'s JSONPath, over the JSON -o json prints) or custom-columns=HEADER:.path,... (over the listed items)' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand history" -s v -l v -d 'How much to log, as kubectl\'s -v: 1 and above says which context and server; 6 and above logs each API call (method, URL, status, milliseconds)' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand history" -l verify -d 'Check the trail\'s hash chain and name each line that does not hold (exit 1)'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand history" -l prune -d 'Delete the trail\'s parts from before --before (the owner\'s; refused unless they were exported)'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand history" -l force -d 'With --prune: prune lines that were never exported'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand history" -l all-contexts -d 'Act on every context of the kubeconfig (contexts with the same cluster and user once)'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand history" -s y -l yes -d 'Answer yes to every confirmation prompt'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand history" -s h -l help -d 'Print help'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand history" -s V -l version -d 'Print version'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand roles" -l contexts -d 'Act on the contexts whose names match these shell globs (e.g. \'prod-*,eu-?\')' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand roles" -l parallel -d 'How many contexts to ask at once, with --all-contexts or --contexts (1 to 256)' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand roles" -l kubeconfig -d 'Path to the kubeconfig file to use (otherwise $KUBECONFIG, then ~/.kube/config)' -r -F
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand roles" -l context -d 'The name of the kubeconfig context to use' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand roles" -l cluster -d 'The name of the kubeconfig cluster to use' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand roles" -l user -d 'The name of the kubeconfig user to use' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand roles" -s n -l namespace -d 'The system namespace that holds the policy, history and support bindings' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand roles" -l request-timeout -d 'How long each call to the API server may take as a whole: connecting, sending, and waiting for and reading the answer (e.g. 10s, 1m; 0 waits forever). A command that makes several calls may take longer' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand roles" -s o -l output -d 'Output format: text, table, wide, name, json, yaml, jsonpath=TEMPLATE (kubectl\'s JSONPath, over the JSON -o json prints) or custom-columns=HEADER:.path,... (over the listed items)' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand roles" -s v -l v -d 'How much to log, as kubectl\'s -v: 1 and above says which context and server; 6 and above logs each API call (method, URL, status, milliseconds)' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand roles" -l verify -d 'Ask the API server what each support identity can and cannot do'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand roles" -l all-contexts -d 'Act on every context of the kubeconfig (contexts with the same cluster and user once)'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand roles" -s y -l yes -d 'Answer yes to every confirmation prompt'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand roles" -s h -l help -d 'Print help'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand roles" -s V -l version -d 'Print version'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand uninstall" -l dry-run -d 'Only say what would be done (client), or have the API server and its admission guards answer every write without storing it (server)' -r -f -a "none\t''
client\t'Say what would be done; write nothing'
server\t'Send every write with the API server\'s dry run: the API server and its admission guards answer each, and nothing is stored'"
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand uninstall" -l kubeconfig -d 'Path to the kubeconfig file to use (otherwise $KUBECONFIG, then ~/.kube/config)' -r -F
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand uninstall" -l context -d 'The name of the kubeconfig context to use' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand uninstall" -l cluster -d 'The name of the kubeconfig cluster to use' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand uninstall" -l user -d 'The name of the kubeconfig user to use' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand uninstall" -s n -l namespace -d 'The system namespace that holds the policy, history and support bindings' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand uninstall" -l request-timeout -d 'How long each call to the API server may take as a whole: connecting, sending, and waiting for and reading the answer (e.g. 10s, 1m; 0 waits forever). A command that makes several calls may take longer' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand uninstall" -s o -l output -d 'Output format: text, table, wide, name, json, yaml, jsonpath=TEMPLATE (kubectl\'s JSONPath, over the JSON -o json prints) or custom-columns=HEADER:.path,... (over the listed items)' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand uninstall" -s v -l v -d 'How much to log, as kubectl\'s -v: 1 and above says which context and server; 6 and above logs each API call (method, URL, status, milliseconds)' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand uninstall" -l purge -d 'Also delete the audit history'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand uninstall" -s y -l yes -d 'Answer yes to every confirmation prompt'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand uninstall" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand uninstall" -s V -l version -d 'Print version'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand completion" -l install-kubectl-shim -d 'Link `kubectl_complete-supportaccess` next to the plugin (default: krew\'s bin directory), so that `kubectl supportaccess <TAB>` completes through kubectl' -r -F
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand completion" -l kubeconfig -d 'Path to the kubeconfig file to use (otherwise $KUBECONFIG, then ~/.kube/config)' -r -F
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand completion" -l context -d 'The name of the kubeconfig context to use' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand completion" -l cluster -d 'The name of the kubeconfig cluster to use' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand completion" -l user -d 'The name of the kubeconfig user to use' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand completion" -s n -l namespace -d 'The system namespace that holds the policy, history and support bindings' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand completion" -l request-timeout -d 'How long each call to the API server may take as a whole: connecting, sending, and waiting for and reading the answer (e.g. 10s, 1m; 0 waits forever). A command that makes several calls may take longer' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand completion" -s o -l output -d 'Output format: text, table, wide, name, json, yaml, jsonpath=TEMPLATE (kubectl\'s JSONPath, over the JSON -o json prints) or custom-columns=HEADER:.path,... (over the listed items)' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand completion" -s v -l v -d 'How much to log, as kubectl\'s -v: 1 and above says which context and server; 6 and above logs each API call (method, URL, status, milliseconds)' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand completion" -s y -l yes -d 'Answer yes to every confirmation prompt'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand completion" -s h -l help -d 'Print help'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand completion" -s V -l version -d 'Print version'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand version" -l contexts -d 'Act on the contexts whose names match these shell globs (e.g. \'prod-*,eu-?\')' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand version" -l parallel -d 'How many contexts to ask at once, with --all-contexts or --contexts (1 to 256)' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand version" -l kubeconfig -d 'Path to the kubeconfig file to use (otherwise $KUBECONFIG, then ~/.kube/config)' -r -F
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand version" -l context -d 'The name of the kubeconfig context to use' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand version" -l cluster -d 'The name of the kubeconfig cluster to use' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand version" -l user -d 'The name of the kubeconfig user to use' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand version" -s n -l namespace -d 'The system namespace that holds the policy, history and support bindings' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand version" -l request-timeout -d 'How long each call to the API server may take as a whole: connecting, sending, and waiting for and reading the answer (e.g. 10s, 1m; 0 waits forever). A command that makes several calls may take longer' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand version" -s o -l output -d 'Output format: text, table, wide, name, json, yaml, jsonpath=TEMPLATE (kubectl\'s JSONPath, over the JSON -o json prints) or custom-columns=HEADER:.path,... (over the listed items)' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand version" -s v -l v -d 'How much to log, as kubectl\'s -v: 1 and above says which context and server; 6 and above logs each API call (method, URL, status, milliseconds)' -r
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand version" -l client -d 'Print only the plugin\'s version; do not contact the cluster'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand version" -l all-contexts -d 'Act on every context of the kubeconfig (contexts with the same cluster and user once)'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand version" -s y -l yes -d 'Answer yes to every confirmation prompt'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand version" -s h -l help -d 'Print help'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand version" -s V -l version -d 'Print version'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand help; and not __fish_seen_subcommand_from enable disable get request renew approve deny extend revoke end exec shell sweep history roles uninstall completion version help" -f -a "enable" -d 'Enable support access: install the support roles and flow control, write the policy'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand help; and not __fish_seen_subcommand_from enable disable get request renew approve deny extend revoke end exec shell sweep history roles uninstall completion version help" -f -a "disable" -d 'Disable support access: no new requests or renewals; running sessions drain'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand help; and not __fish_seen_subcommand_from enable disable get request renew approve deny extend revoke end exec shell sweep history roles uninstall completion version help" -f -a "get" -d 'Show whether support access is enabled, which roles, and the active requests'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand help; and not __fish_seen_subcommand_from enable disable get request renew approve deny extend revoke end exec shell sweep history roles uninstall completion version help" -f -a "request" -d 'Request support access: create the grant and mint a short-lived credential for it'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand help; and not __fish_seen_subcommand_from enable disable get request renew approve deny extend revoke end exec shell sweep history roles uninstall completion version help" -f -a "renew" -d 'Mint a fresh credential for a live request, never past its end'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand help; and not __fish_seen_subcommand_from enable disable get request renew approve deny extend revoke end exec shell sweep history roles uninstall completion version help" -f -a "approve" -d 'Approve a pending request or extension (the cluster owner; never one\'s own)'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand help; and not __fish_seen_subcommand_from enable disable get request renew approve deny extend revoke end exec shell sweep history roles uninstall completion version help" -f -a "deny" -d 'Deny a pending request or extension, saying why'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand help; and not __fish_seen_subcommand_from enable disable get request renew approve deny extend revoke end exec shell sweep history roles uninstall completion version help" -f -a "extend" -d 'Move a live request\'s end later, within the policy\'s maximum from its start'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand help; and not __fish_seen_subcommand_from enable disable get request renew approve deny extend revoke end exec shell sweep history roles uninstall completion version help" -f -a "revoke" -d 'Revoke requests now: their bindings, then their ServiceAccounts, are deleted'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand help; and not __fish_seen_subcommand_from enable disable get request renew approve deny extend revoke end exec shell sweep history roles uninstall completion version help" -f -a "end" -d 'End one\'s own request now'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand help; and not __fish_seen_subcommand_from enable disable get request renew approve deny extend revoke end exec shell sweep history roles uninstall completion version help" -f -a "exec" -d 'Run a command with KUBECONFIG pointing at a request\'s credential'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand help; and not __fish_seen_subcommand_from enable disable get request renew approve deny extend revoke end exec shell sweep history roles uninstall completion version help" -f -a "shell" -d 'Start $SHELL with KUBECONFIG pointing at a request\'s credential'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand help; and not __fish_seen_subcommand_from enable disable get request renew approve deny extend revoke end exec shell sweep history roles uninstall completion version help" -f -a "sweep" -d 'Delete expired and invalid support bindings, and record it'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand help; and not __fish_seen_subcommand_from enable disable get request renew approve deny extend revoke end exec shell sweep history roles uninstall completion version help" -f -a "history" -d 'Show the audit trail: every request, how and when it ended'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand help; and not __fish_seen_subcommand_from enable disable get request renew approve deny extend revoke end exec shell sweep history roles uninstall completion version help" -f -a "roles" -d 'Show what each support role may do; --verify asks the API server'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand help; and not __fish_seen_subcommand_from enable disable get request renew approve deny extend revoke end exec shell sweep history roles uninstall completion version help" -f -a "uninstall" -d 'Remove every support binding, the roles, the flow control and the policy'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand help; and not __fish_seen_subcommand_from enable disable get request renew approve deny extend revoke end exec shell sweep history roles uninstall completion version help" -f -a "completion" -d 'Print a shell completion script'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand help; and not __fish_seen_subcommand_from enable disable get request renew approve deny extend revoke end exec shell sweep history roles uninstall completion version help" -f -a "version" -d 'Print the plugin\'s version and the API server\'s version'
complete -c kubectl-supportaccess -n "__fish_kubectl_supportaccess_using_subcommand help; and not __fish_seen_subcommand_from enable disable get request renew approve deny extend revoke end exec shell sweep history roles uninstall completion version help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
