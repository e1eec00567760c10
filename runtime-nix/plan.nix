# The command plan for `nix run . -- node deploy|build|install …` (README.md#commands).
#
# Wired by default.nix as `fleet.public.plan = import ./plan.nix { inherit data meta; };`, this is
# a function of one request and returns what the runner (nixverse/run.sh) executes: the resolved
# node list and, per node, the exact argv and environment of every step. The runner evaluates it
# once per run; all decisions live here so they can be tested with `nix-instantiate --eval`.
#
# Only builtins are used (no nixpkgs lib): the plan must evaluate with nothing but `data` and the
# meta of the selected nodes, and reading `meta.<n>` is the only thing that evaluates a node.
{
  data, # nixverse/fleet.nix
  meta, # node name → evaluated meta (os, deploy.*, install.*); read only for selected nodes
  ...
}:
let
  inherit (builtins)
    attrNames
    concatMap
    concatStringsSep
    elem
    filter
    genList
    hasAttr
    length
    map
    replaceStrings
    sort
    throw
    ;

  nodesData = data.nodes or { };
  # An incomplete node (generated with its reason): its job is that error, its meta is never read.
  isBroken = n: nodesData.${n} ? broken || nodesData.${n} ? unbuildable;
  groupsData = data.groups or { };
  hasPrivate = data.hasPrivate or false;

  unique = list: builtins.foldl' (acc: x: if elem x acc then acc else acc ++ [ x ]) [ ] list;
  sortUnique = list: sort builtins.lessThan (unique list);
  optional = cond: x: if cond then [ x ] else [ ];
  optionals = cond: xs: if cond then xs else [ ];
  imap0 = f: list: genList (i: f i (builtins.elemAt list i)) (length list);

  # Selection (README "Commands", without evaluating any node): a node; a group (its nodes); `@all`;
  # `@<tag>` (the nodes whose meta lists it in `tags`, read by gen into fleet data); a glob over
  # node and group names (`web*`, `db?`); and `!<any of these>` to leave nodes out (only
  # exclusions: from all nodes).
  allNodes = attrNames nodesData;
  isTag = n: n != "@all" && builtins.substring 0 1 n == "@";
  tagged = t: filter (n: elem t (nodesData.${n}.tags or [ ])) allNodes;
  allTags = sortUnique (concatMap (n: nodesData.${n}.tags or [ ]) allNodes);
  allGroups = attrNames groupsData;
  isGlob = n: builtins.match ".*[*?].*" n != null;
  globMatches =
    g: n: builtins.match (replaceStrings [ "." "*" "?" ] [ "[.]" ".*" "." ] g) n != null;
  globHits =
    g: filter (globMatches g) allNodes ++ concatMap (n: groupsData.${n}.nodes) (filter (globMatches g) allGroups);
  expand =
    n:
    if n == "@all" then
      allNodes
    else if isTag n then
      tagged (builtins.substring 1 (-1) n)
    else if hasAttr n nodesData then
      [ n ]
    else if hasAttr n groupsData then
      groupsData.${n}.nodes
    else if isGlob n then
      globHits n
    else
      [ ];
  # Why a name selects nothing (null when it is fine): a message for the runner to print, as a
  # throw would bury it under Nix's trace and its --show-trace advice.
  nameError =
    n:
    if n == "@all" || hasAttr n nodesData || hasAttr n groupsData then
      null
    else if isTag n then
      (
        if tagged (builtins.substring 1 (-1) n) != [ ] then
          null
        else
          "Unknown tag ${n}; "
          + (if allTags == [ ] then "no node has tags (meta: tags = [ \"web\" ];)" else "tags: ${concatStringsSep ", " (map (t: "@${t}") allTags)}")
      )
    else if isGlob n then
      (if globHits n == [ ] then "No node or group matches ${n}; ${known}" else null)
    else
      "Unknown node ${n}${closest n}; ${known}";
  known =
    "nodes: ${concatStringsSep ", " allNodes}"
    + (if allGroups == [ ] then "" else "; groups: ${concatStringsSep ", " allGroups}");
  # " (did you mean x?)" for the nearest name within a third of its length in edits.
  closest =
    n:
    let
      scored = map (c: {
        name = c;
        d = editDistance n c;
      }) (allNodes ++ allGroups);
      best = builtins.foldl' (a: b: if a == null || b.d < a.d then b else a) null scored;
    in
    if best != null && best.d * 3 <= builtins.stringLength n + 2 then " (did you mean ${best.name}?)" else "";
  editDistance =
    a: b:
    let
      chars = s: genList (i: builtins.substring i 1 s) (builtins.stringLength s);
      ca = chars a;
      cb = chars b;
      lb = length cb;
      min = x: y: if x < y then x else y;
      row =
        prev: x:
        builtins.foldl' (
          r: j:
          r
          ++ [
            (min (min (builtins.elemAt prev (j + 1) + 1) (builtins.elemAt r j + 1)) (
              builtins.elemAt prev j + (if x == builtins.elemAt cb j then 0 else 1)
            ))
          ]
        ) [ (builtins.head prev + 1) ] (genList (j: j) lb);
    in
    builtins.elemAt (builtins.foldl' row (genList (j: j) (lb + 1)) ca) lb;
  resolve =
    names:
    let
      neg = n: builtins.substring 0 1 n == "!";
      positive = filter (n: !neg n) names;
      negative = map (n: builtins.substring 1 (-1) n) (filter neg names);
      included = if positive == [ ] then allNodes else concatMap expand positive;
      excluded = concatMap expand negative;
    in
    sortUnique (filter (n: !elem n excluded) included);

  # Single-quote for POSIX sh unless the word is plainly safe. Used for NIX_SSHOPTS, which
  # nixos-rebuild and Nix split on whitespace, so plain options stay unquoted.
  shellWord =
    s:
    if builtins.match "[A-Za-z0-9,._+:@%/=-]+" s != null then
      s
    else
      "'${replaceStrings [ "'" ] [ "'\\''" ] s}'";

  # Every ssh the runner starts (and NIX_SSHOPTS, for nix copy and nixos-rebuild) notices a dead
  # host within a minute instead of hanging a worker. ssh takes the first value it is given for
  # an option, so the node's own sshOpts come first and win.
  keepalive = [
    "ServerAliveInterval=15"
    "ServerAliveCountMax=4"
  ];
  sshOptArgs = opts: concatMap (o: [ "-o" o ]) (opts ++ keepalive);
  # `--` ends ssh's options: a host is never read as one.
  sshArgv = d: [ "ssh" ] ++ sshOptArgs d.sshOpts ++ [ "--" d.targetHost ];

  metaOf =
    n:
    let
      m = meta.${n};
      d = m.deploy or { };
      i = m.install or { };
      deployHost = d.targetHost or null;
      deploySshOpts = d.sshOpts or [ ];
    in
    {
      os = m.os or nodesData.${n}.os;
      deploy = {
        targetHost = deployHost;
        buildOnRemote = d.buildOnRemote or false;
        useSubstitutes = d.useSubstitutes or false;
        useRemoteSudo = d.useRemoteSudo or false;
        sshOpts = deploySshOpts;
        # "copy": the runner evaluates and builds all nodes once, then copies and activates;
        # "nixos-rebuild": one nixos-rebuild (darwin-rebuild) per node, as before.
        method = d.method or "copy";
        buildHost = d.buildHost or null;
        buildOnTarget = d.buildOnTarget or false;
        cache = d.cache or null;
      };
      install = {
        targetHost = i.targetHost or deployHost;
        buildOnRemote = i.buildOnRemote or (d.buildOnRemote or false);
        useSubstitutes = i.useSubstitutes or (d.useSubstitutes or false);
        sshOpts = i.sshOpts or deploySshOpts;
      };
    };

  # Where a node's host files come from, in precedence order (Nixverse's order, without its quirk:
  # the first source that has a path wins, across all entries). Paths are relative to the flake
  # root; the runner keeps git-tracked files only and skips missing directories.
  hostFileSources =
    n:
    let
      node = nodesData.${n};
      groupEntries = map (g: "${groupsData.${g}.dir}/common") (
        sort builtins.lessThan (filter (g: hasAttr g groupsData) (node.groups or [ ]))
      );
      entries = [ node.dir ] ++ groupEntries;
      forEntry =
        e:
        optional hasPrivate {
          dir = "private/${e}/secrets/fs";
          secret = true;
        }
        ++ [
          {
            dir = "${e}/secrets/fs";
            secret = true;
          }
        ]
        ++ optional hasPrivate {
          dir = "private/${e}/fs";
          secret = false;
        }
        ++ [
          {
            dir = "${e}/fs";
            secret = false;
          }
        ];
    in
    concatMap forEntry entries;

  # The node's SSH host private key, encrypted to the master key (not the node key).
  hostKeyRel = "etc/ssh/ssh_host_ed25519_key";
  hostKeyCandidates =
    n:
    let
      dir = nodesData.${n}.dir;
    in
    optional hasPrivate "private/${dir}/secrets/fs/${hostKeyRel}" ++ [ "${dir}/secrets/fs/${hostKeyRel}" ];

  step = kind: argv: env: {
    inherit kind argv env;
    root = false;
  };

  mkRequest =
    req:
    let
      action = req.action;
      flakeDir = req.flakeDir;
      flakeRef = req.flakeRef or flakeDir;
      mode =
        if action != "deploy" then
          null
        else if (req.mode or null) == null then
          "switch"
        else
          req.mode;
      rebootTimeout = req.rebootTimeout or 600;
      targetRoot = req.targetRoot or "/";
      # As targetRoot, for deploy.buildHost: the builder's / (a test sandbox when not "/").
      buildRoot = req.buildRoot or "/";
      names =
        if req.names == [ ] then throw "No node names given" else resolve req.names;

      localNodes = filter (n: !isBroken n && (metaOf n).deploy.targetHost == null) names;

      hostFiles = n: {
        sources = hostFileSources n;
        hostKey = hostKeyCandidates n;
        inherit hostKeyRel;
      };

      nixosDeploy =
        n: m:
        let
          d = m.deploy;
          remote = d.targetHost != null;
          rebuild = step "run" (
            [
              "nixos-rebuild"
              (if mode == "reboot" then "boot" else mode)
              "--flake"
              "${flakeRef}#${n}"
            ]
            ++ optionals remote [
              "--target-host"
              d.targetHost
            ]
            ++ optionals (remote && d.buildOnRemote) [
              "--build-host"
              d.targetHost
            ]
            ++ optional (remote && d.useSubstitutes) "--use-substitutes"
            ++ optional d.useRemoteSudo "--use-remote-sudo"
          ) { NIX_SSHOPTS = concatStringsSep " " (map shellWord (sshOptArgs d.sshOpts)); };
        in
        optional (mode != "build") (hostFilesStep m)
        ++ [ rebuild ]
        ++ optionals (mode == "reboot") (rebootSteps d);

      darwinDeploy =
        n: m:
        let
          d = m.deploy;
          remote = d.targetHost != null;
          darwinMode = if mode == "build" then "build" else "switch";
          # Current nix-darwin's `darwin-rebuild switch` refuses to run unless root: sudo for
          # every SSH user but root (useRemoteSudo asks for it even then).
          remoteSudo =
            darwinMode == "switch"
            && (d.useRemoteSudo || builtins.substring 0 5 d.targetHost != "root@");
          ssh = sshArgv d;
          sshEnv = {
            NIX_SSHOPTS = concatStringsSep " " (map shellWord (sshOptArgs d.sshOpts));
          };
        in
        if remote then
          # darwin-rebuild has no --target-host: copy the flake and its inputs to the host,
          # then run darwin-rebuild there on that store path (@source@ is filled by the runner).
          optional (mode != "build") (hostFilesStep m)
          ++ [
            (step "archive" [
              "nix"
              "flake"
              "archive"
              "--json"
              "--to"
              "ssh://${d.targetHost}"
              flakeRef
            ] sshEnv)
            (step "run" (
              ssh
              ++ optional remoteSudo "sudo"
              ++ [
                "darwin-rebuild"
                darwinMode
                "--flake"
                "@source@#${n}"
              ]
            ) { })
          ]
        else
          optional (mode != "build") (hostFilesStep m)
          ++ [
            (
              (step "run" [
                "darwin-rebuild"
                darwinMode
                "--flake"
                "${flakeRef}#${n}"
              ] { })
              // {
                root = darwinMode == "switch";
              }
            )
          ];

      # --reboot's last step: over ssh (wait until it answers with a new boot id), or locally.
      rebootSteps =
        d:
        if d.targetHost != null then
          [
            {
              kind = "reboot";
              argv = sshArgv d;
              env = { };
              root = false;
              sudo = d.useRemoteSudo;
              timeout = rebootTimeout;
              stage = "reboot";
            }
          ]
        else
          [ ((step "run" [ "reboot" ] { }) // { root = true; stage = "reboot"; }) ];

      # ── deploy.method = "copy": the runner has evaluated and built every node (one evaluator, one
      # nix build); per node it copies the closure, sets the system profile and activates.
      # @out@ is the node's built system closure. The target's / is `targetRoot` (a test
      # sandbox when not "/": its store is then the chroot store local?root=<targetRoot>).
      rootPrefix = if targetRoot == "/" then "" else targetRoot;
      chrootStore = "local?root=${targetRoot}";
      # `?remote-store=…` for a sandboxed root: the remote nix then uses the chroot store there.
      remoteStoreParam =
        root: if root == "/" then "" else "?remote-store=${replaceStrings [ "?" "=" ] [ "%3F" "%3D" ] "local?root=${root}"}";
      sshOptsEnv = d: { NIX_SSHOPTS = concatStringsSep " " (map shellWord (sshOptArgs d.sshOpts)); };
      # Where a node's closure is built (the runner's build stage, or a step for buildOnTarget):
      # ssh-ng, because only the daemon protocol can build on the other side (`--store ssh-ng://…
      # --eval-store auto`: the derivations go over, the outputs stay there).
      buildStoreOf =
        d:
        if d.buildOnTarget && d.targetHost != null then
          "ssh-ng://${d.targetHost}${remoteStoreParam targetRoot}"
        else if d.buildHost != null then
          "ssh-ng://${d.buildHost}${remoteStoreParam buildRoot}"
        else
          "";
      buildAtOf =
        d:
        if d.buildOnTarget && d.targetHost != null then
          "target"
        else if d.buildHost != null then
          "builder"
        else
          "deployer";
      profile = "${rootPrefix}/nix/var/nix/profiles/system";
      # The remote side gets one shell command line: each word quoted for it.
      remoteLine = words: concatStringsSep " " (map shellWord words);
      onTarget =
        d: words:
        let
          w = optional d.useRemoteSudo "sudo" ++ words;
        in
        if d.targetHost == null then
          {
            argv = w;
            root = true;
          }
        else
          {
            argv = sshArgv d ++ [ (remoteLine w) ];
            root = false;
          };
      # The closure to the target: from the deployer's store, or straight from the builder's
      # (`nix copy --from ssh-ng://builder --to ssh://target` streams it through this machine
      # without putting it in the local store; Nix has no builder-to-target transfer).
      copyStep =
        d:
        step "run" (
          [
            "nix"
            "copy"
          ]
          ++ optionals (buildAtOf d == "builder") [
            "--from"
            (buildStoreOf d)
          ]
          ++ [
            "--to"
            (if d.targetHost == null then (if targetRoot == "/" then "auto" else chrootStore) else "ssh://${d.targetHost}${remoteStoreParam targetRoot}")
          ]
          ++ optional d.useSubstitutes "--substitute-on-destination"
          ++ [ "@out@" ]
        ) (sshOptsEnv d)
        // {
          stage = "copy";
        };
      # deploy.cache: the runner pushed every closure to the cache once; the target fetches its own
      # from there (its nix checks the signatures as its nix.conf says).
      cachePullStep =
        d:
        let
          t = onTarget d (
            [
              "nix"
              "--extra-experimental-features"
              "nix-command"
              "copy"
              "--from"
              d.cache
            ]
            ++ optionals (targetRoot != "/") [
              "--to"
              chrootStore
            ]
            ++ [ "@out@" ]
          );
        in
        (step "run" t.argv { })
        // {
          inherit (t) root;
          stage = "copy";
        };
      # deploy.buildOnTarget: the derivations go to the target and it builds there.
      targetBuildStep =
        d:
        step "run" [
          "nix"
          "build"
          "--no-link"
          "--store"
          (buildStoreOf d)
          "--eval-store"
          "auto"
          "@drv@^out"
        ] (sshOptsEnv d)
        // {
          stage = "build";
        };
      # How the closure gets to the node: built there, fetched from the cache, or copied.
      deliverSteps =
        d:
        if buildAtOf d == "target" then
          [ (targetBuildStep d) ]
        else if d.cache != null then
          [ (cachePullStep d) ]
        else if d.targetHost != null || buildAtOf d == "builder" then
          [ (copyStep d) ]
        else
          [ ];
      profileStep =
        d:
        let
          t = onTarget d (
            [ "nix-env" ]
            ++ optionals (targetRoot != "/") [
              "--store"
              chrootStore
            ]
            ++ [
              "-p"
              profile
              "--set"
              "@out@"
            ]
          );
        in
        (step "run" t.argv { })
        // {
          inherit (t) root;
          stage = "profile";
        };
      # NixOS: switch-to-configuration through systemd-run when the target runs systemd, so the
      # activation finishes even if this SSH connection drops (as nixos-rebuild does); directly
      # otherwise (a container, a test sandbox).
      activateScript = concatStringsSep " " [
        "if [ -d /run/systemd/system ] && command -v systemd-run >/dev/null 2>&1; then"
        "exec systemd-run -E LOCALE_ARCHIVE -E NIXOS_INSTALL_BOOTLOADER --collect --no-ask-password"
        "--pipe --quiet --service-type=exec --unit=nixverse-switch-to-configuration --wait \"$@\";"
        "fi; exec \"$@\""
      ];
      # nix-darwin: what `darwin-rebuild activate` runs.
      darwinActivateScript = "if [ -x \"$1/activate-user\" ]; then \"$1/activate-user\" || exit; fi; exec \"$1/activate\"";
      activateStep =
        d: words:
        let
          t = onTarget d words;
        in
        {
          kind = "activate";
          inherit (t) argv root;
          env = { };
          stage = "activate";
          goal = mode;
        };
      nixosCopyDeploy =
        n: m:
        let
          d = m.deploy;
          goal = if mode == "reboot" then "boot" else mode;
        in
        optional (mode != "build") (hostFilesStep m)
        ++ optionals (mode != "build") (
          deliverSteps d
          ++ optional (goal == "switch" || goal == "boot") (profileStep d)
          ++ [
            (activateStep d [
              "sh"
              "-c"
              activateScript
              "nixverse-activate"
              "${rootPrefix}@out@/bin/switch-to-configuration"
              goal
            ])
          ]
        )
        ++ optionals (mode == "reboot") (rebootSteps d);
      darwinCopyDeploy =
        n: m:
        let
          d = m.deploy;
        in
        optionals (mode != "build") (
          [ (hostFilesStep m) ]
          ++ deliverSteps d
          ++ [
            (profileStep d)
            (activateStep d [
              "sh"
              "-c"
              darwinActivateScript
              "nixverse-activate"
              "${rootPrefix}@out@"
            ])
          ]
        );

      # Copies the assembled host files to the target (or to / locally) before activation.
      hostFilesStep = m: {
        kind = "hostFiles";
        argv = if m.deploy.targetHost == null then [ ] else sshArgv m.deploy;
        env = { };
        root = m.deploy.targetHost == null;
        sudo = m.deploy.useRemoteSudo;
      };

      deployJob =
        n:
        let
          m = metaOf n;
        in
        if m.os == "darwin" && !(elem mode [ "switch" "build" ]) then
          {
            error = "--${if mode == "test" then "ephemeral" else mode} is only supported for NixOS nodes, and ${n} is a darwin node";
            steps = [ ];
          }
        else if !(elem m.deploy.method [ "copy" "nixos-rebuild" ]) then
          {
            error = "deploy.method of ${n} is ${toString m.deploy.method}; it must be \"copy\" or \"nixos-rebuild\"";
            steps = [ ];
          }
        else if m.deploy.method != "copy" && (m.deploy.buildHost != null || m.deploy.buildOnTarget || m.deploy.cache != null) then
          {
            error = "deploy.buildHost, deploy.buildOnTarget and deploy.cache of ${n} need deploy.method = \"copy\" (nixos-rebuild has its own buildOnRemote)";
            steps = [ ];
          }
        else if m.deploy.buildOnTarget && (m.deploy.buildHost != null || m.deploy.cache != null) then
          {
            error = "${n} sets deploy.buildOnTarget together with deploy.${if m.deploy.buildHost != null then "buildHost" else "cache"}: a node is built in one place; choose one";
            steps = [ ];
          }
        else if m.deploy.buildOnTarget && m.deploy.targetHost == null then
          {
            error = "${n} sets deploy.buildOnTarget but has no deploy.targetHost (a local node is built here anyway)";
            steps = [ ];
          }
        else
          {
            error = null;
            steps =
              if m.deploy.method == "copy" then
                (if m.os == "darwin" then darwinCopyDeploy n m else nixosCopyDeploy n m)
              else if m.os == "darwin" then
                darwinDeploy n m
              else
                nixosDeploy n m;
          };

      installJob =
        n:
        let
          m = metaOf n;
          i = m.install;
          node = nodesData.${n};
          hwPath = "${flakeDir}/${node.dir}/hardware-configuration.nix";
          hwSuffix = "/${node.dir}/hardware-configuration.nix";
          endsWith =
            suffix: str:
            let
              ls = builtins.stringLength str;
              lx = builtins.stringLength suffix;
            in
            ls >= lx && builtins.substring (ls - lx) lx str == suffix;
          hasHardware = builtins.any (p: endsWith hwSuffix (toString p)) (node.hardware or [ ]);
          anywhere =
            extra:
            [
              "nixos-anywhere"
              "--flake"
              "${flakeRef}#${n}"
            ]
            ++ extra;
          sshOptions = concatMap (o: [ "--ssh-option" o ]) i.sshOpts;
          installFlags =
            [
              "--build-on"
              (if i.buildOnRemote then "remote" else "local")
            ]
            ++ optional (!i.useSubstitutes) "--no-substitute-on-destination"
            # expanded by the runner to `--extra-files <dir>`, or dropped when there are no host files
            ++ [ "@extraFiles@" ]
            ++ sshOptions
            ++ [ i.targetHost ];
        in
        if m.os == "darwin" then
          {
            error = "Deploy to the darwin node ${n} directly to install nix-darwin (nixos-anywhere installs NixOS only)";
            steps = [ ];
          }
        else if (node.diskConfig or [ ]) == [ ] then
          {
            error = "Missing disk-config.nix for node ${n}: nixos-anywhere needs a disko configuration in ${node.dir}/disk-config.nix";
            steps = [ ];
          }
        else if i.targetHost == null then
          {
            error = "Missing meta configuration install.targetHost for node ${n} (set install.targetHost or deploy.targetHost)";
            steps = [ ];
          }
        else if hasHardware then
          {
            error = null;
            steps = [
              (step "run" (
                anywhere [
                  "--generate-hardware-config"
                  "nixos-generate-config"
                  hwPath
                ]
                ++ installFlags
              ) { })
              (step "gitAdd" [ hwPath ] { })
            ];
          }
        else
          # The flake imports only the hardware-configuration.nix files that existed when it was
          # generated. For a first install: kexec and detect the hardware, regenerate the flake so
          # it imports the new file, then partition and install with it.
          {
            error = null;
            steps = [
              (step "run" (
                anywhere [
                  "--phases"
                  "kexec"
                  "--generate-hardware-config"
                  "nixos-generate-config"
                  hwPath
                ]
                ++ sshOptions
                ++ [ i.targetHost ]
              ) { })
              (step "gitAdd" [ hwPath ] { })
              (step "regenerate" [ ] { })
              (step "run" (
                anywhere [
                  "--phases"
                  "disko,install,reboot"
                ]
                ++ installFlags
              ) { })
            ];
          };

      # An incomplete node fails alone, with its reason (the others still run).
      brokenJob = n: {
        node = n;
        inherit (nodesData.${n}) os;
        error = nodesData.${n}.broken or nodesData.${n}.unbuildable;
        steps = [ ];
        hostFiles = null;
        stages = false;
        probe = [ ];
        build = {
          at = "deployer";
          store = "";
          sshOpts = "";
          cache = "";
        };
      };

      job =
        n:
        if isBroken n then
          brokenJob n
        else
          let
            os = (metaOf n).os;
            j =
              if action == "deploy" then
                deployJob n
              else if action == "install" then
                installJob n
              else
                {
                  error = null;
                  steps = [ ];
                };
            m = metaOf n;
            d = m.deploy;
            activates = action == "deploy" && mode != "build";
          in
          {
            node = n;
            inherit os;
            inherit (j) error steps;
            hostFiles = if action == "build" || (action == "deploy" && mode == "build") then null else hostFiles n;
            # Evaluated and built by the runner's two stages (one evaluator and one nix build for all
            # such nodes) before its steps run with @out@ set.
            stages = j.error == null && (action == "build" || (action == "deploy" && d.method == "copy"));
            # Probed in parallel before anything is evaluated: `<argv> true` over ssh. Not for
            # install: nixos-anywhere's target is often an installer that takes a password.
            probe = if j.error == null && activates && d.targetHost != null then sshArgv d else [ ];
            # For the build stage: where (deployer, builder, or target: then a step builds it), the
            # store URL and ssh options for a builder, and the cache to push the closure to.
            build = rec {
              # no steps run for `build` (or --goal build): a buildOnTarget node is built here then
              at = if !activates && buildAtOf d == "target" then "deployer" else buildAtOf d;
              store = if at == "deployer" then "" else buildStoreOf d;
              sshOpts = (sshOptsEnv d).NIX_SSHOPTS;
              cache = if activates && d.cache != null then d.cache else "";
            };
          };

      requestError =
        let
          bad = filter (e: e != null) (
            map (n: nameError (if builtins.substring 0 1 n == "!" then builtins.substring 1 (-1) n else n)) req.names
          );
        in
        if req.names == [ ] then
          "No node names given"
        else if bad != [ ] then
          builtins.head bad
        else if names == [ ] then
          "No nodes selected: ${concatStringsSep " " req.names} leaves none"
        else if action == "deploy" && mode != "build" && length localNodes > 1 then
          "Deploying multiple local nodes in parallel is not allowed: ${concatStringsSep ", " localNodes} have no deploy.targetHost; set deploy.targetHost = \"root@<host>\"; in their meta (node.nix, or the member's entry in its group.nix), or deploy one of them at a time"
        else
          null;

      plan = {
        inherit
          action
          mode
          flakeDir
          flakeRef
          ;
        nodes = names;
        jobs = map job names;
        makeTargets = map (n: "nodes/${n}") names;
        userMk = userMk;
      };
    in
    if
      !(elem action [
        "deploy"
        "build"
        "install"
      ])
    then
      throw "Unknown node command ${toString action} (expected deploy, build or install)"
    else if
      !(elem mode [
        null
        "switch"
        "boot"
        "build"
        "test"
        "dry-activate"
        "reboot"
      ])
    then
      throw "Unknown deploy mode ${toString mode}"
    else if requestError != null then
      {
        error = requestError;
        shell = "abort ${q requestError}\n";
      }
    else
      plan // { shell = toShell plan; };

  # As Nixverse's Makefile support: variables and phony targets for every node and group, so a user Makefile can
  # hang prerequisites on `nodes/<n>` and read os/channel. Only generated data is read.
  userMk = concatStringsSep "" (
    map (n: ''
      # node ${n}
      .PHONY: nodes/${n}
      node_${n}_os := ${nodesData.${n}.os}
      node_${n}_channel := ${nodesData.${n}.channel}
    '') (sort builtins.lessThan (attrNames nodesData))
    ++ map (
      g:
      let
        gd = groupsData.${g};
      in
      ''
        # group ${g}
        .PHONY: nodes/${g}
        nodes/${g}:${concatStringsSep "" (map (x: " nodes/${x}") (sort builtins.lessThan (gd.descendants or gd.nodes)))}
        group_${g}_nodes := ${concatStringsSep " " (sort builtins.lessThan gd.nodes)}
      ''
    ) (sort builtins.lessThan (attrNames groupsData))
  );

  # ── rendering for the runner ────────────────────────────────────────────────────────────────
  # The runner is plain bash without jq, so the plan is also rendered as bash assignments that it
  # sources. Every value goes through `q`, a single-quoting that bash reads back byte for byte.
  q = s: "'${replaceStrings [ "'" ] [ "'\\''" ] (toString s)}'";
  arr = name: xs: "${name}=(${concatStringsSep " " (map q xs)})\n";
  envList = env: map (k: "${k}=${env.${k}}") (attrNames env);
  boolStr = b: if b then "1" else "0";

  toShell =
    plan:
    let
      stepLines =
        prefix: s:
        concatStringsSep "" [
          "${prefix}_kind=${q s.kind}\n"
          (arr "${prefix}_argv" s.argv)
          (arr "${prefix}_env" (envList s.env))
          "${prefix}_root=${boolStr (s.root or false)}\n"
          "${prefix}_sudo=${boolStr (s.sudo or false)}\n"
          "${prefix}_timeout=${q (toString (s.timeout or 0))}\n"
          "${prefix}_stage=${q (s.stage or s.kind)}\n"
        ];
      jobLines =
        i: j:
        let
          p = "J${toString i}";
          hf = j.hostFiles;
        in
        concatStringsSep "" (
          [
            "${p}_node=${q j.node}\n"
            "${p}_os=${q j.os}\n"
            "${p}_error=${q (if j.error == null then "" else j.error)}\n"
            "${p}_nsteps=${toString (length j.steps)}\n"
            "${p}_stages=${boolStr j.stages}\n"
            (arr "${p}_probe" j.probe)
            "${p}_build_at=${q j.build.at}\n"
            "${p}_build_store=${q j.build.store}\n"
            "${p}_build_sshopts=${q j.build.sshOpts}\n"
            "${p}_cache=${q j.build.cache}\n"
          ]
          ++ (
            if hf == null then
              [ "${p}_hf=0\n" ]
            else
              [
                "${p}_hf=1\n"
                (arr "${p}_hf_dirs" (map (s: s.dir) hf.sources))
                (arr "${p}_hf_secret" (map (s: boolStr s.secret) hf.sources))
                (arr "${p}_hf_hostkey" hf.hostKey)
              ]
          )
          ++ imap0 (k: s: stepLines "${p}_S${toString k}" s) j.steps
        );
    in
    concatStringsSep "" (
      [
        "# nixverse plan (generated by nixverse/lib/plan.nix)\n"
        "plan_action=${q plan.action}\n"
        "plan_mode=${q (if plan.mode == null then "" else plan.mode)}\n"
        "plan_flake_dir=${q plan.flakeDir}\n"
        "plan_flake_ref=${q plan.flakeRef}\n"
        "plan_host_key_rel=${q hostKeyRel}\n"
        (arr "plan_nodes" plan.nodes)
        (arr "plan_make_targets" plan.makeTargets)
        "plan_user_mk=${q plan.userMk}\n"
        "plan_njobs=${toString (length plan.jobs)}\n"
      ]
      ++ imap0 jobLines plan.jobs
    );
in
mkRequest
