# The command plan for `nix run . node deploy|build|install …` (SPEC §7).
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
  groupsData = data.groups or { };
  hasPrivate = data.hasPrivate or false;

  unique = list: builtins.foldl' (acc: x: if elem x acc then acc else acc ++ [ x ]) [ ] list;
  sortUnique = list: sort builtins.lessThan (unique list);
  optional = cond: x: if cond then [ x ] else [ ];
  optionals = cond: xs: if cond then xs else [ ];
  imap0 = f: list: genList (i: f i (builtins.elemAt list i)) (length list);

  # `nodes/<arg>` names: a node, or a group expanded to its descendant nodes (§7.3).
  resolve =
    names:
    sortUnique (
      concatMap (
        n:
        if hasAttr n nodesData then
          [ n ]
        else if hasAttr n groupsData then
          groupsData.${n}.nodes
        else
          throw "Unknown node ${n}"
      ) names
    );

  # Single-quote for POSIX sh unless the word is plainly safe. Used for NIX_SSHOPTS, which
  # nixos-rebuild and Nix split on whitespace, so plain options stay unquoted.
  shellWord =
    s:
    if builtins.match "[A-Za-z0-9,._+:@%/=-]+" s != null then
      s
    else
      "'${replaceStrings [ "'" ] [ "'\\''" ] s}'";

  sshOptArgs = opts: concatMap (o: [ "-o" o ]) opts;

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
      };
      install = {
        targetHost = i.targetHost or deployHost;
        buildOnRemote = i.buildOnRemote or (d.buildOnRemote or false);
        useSubstitutes = i.useSubstitutes or (d.useSubstitutes or false);
        sshOpts = i.sshOpts or deploySshOpts;
      };
    };

  # Where a node's host files come from, in precedence order (REFERENCE §6.4, without its quirk:
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
      names =
        if req.names == [ ] then throw "No node names given" else resolve req.names;

      localNodes = filter (n: (metaOf n).deploy.targetHost == null) names;
      checkedNames =
        if action == "deploy" && mode != "build" && length localNodes > 1 then
          throw "Deploying multiple local nodes in parallel is not allowed: ${concatStringsSep ", " localNodes} have no deploy.targetHost"
        else
          names;

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
          ssh = [ "ssh" ] ++ sshOptArgs d.sshOpts ++ [ d.targetHost ];
        in
        optional (mode != "build") (hostFilesStep m)
        ++ [ rebuild ]
        ++ optionals (mode == "reboot") (
          if remote then
            [
              {
                kind = "reboot";
                argv = ssh;
                env = { };
                root = false;
                sudo = d.useRemoteSudo;
                timeout = rebootTimeout;
              }
            ]
          else
            [ ((step "run" [ "reboot" ] { }) // { root = true; }) ]
        );

      darwinDeploy =
        n: m:
        let
          d = m.deploy;
          remote = d.targetHost != null;
          darwinMode = if mode == "build" then "build" else "switch";
          ssh = [ "ssh" ] ++ sshOptArgs d.sshOpts ++ [ d.targetHost ];
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
              ++ optional (d.useRemoteSudo && darwinMode == "switch") "sudo"
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

      # Copies the assembled host files to the target (or to / locally) before activation.
      hostFilesStep = m: {
        kind = "hostFiles";
        argv = if m.deploy.targetHost == null then [ ] else [ "ssh" ] ++ sshOptArgs m.deploy.sshOpts ++ [ m.deploy.targetHost ];
        env = { };
        root = m.deploy.targetHost == null;
        sudo = m.deploy.useRemoteSudo;
      };

      deployJob =
        n:
        let
          m = metaOf n;
        in
        if m.os == "darwin" && (mode == "test" || mode == "reboot") then
          {
            error = "--${if mode == "test" then "ephemeral" else "reboot"} is only supported for NixOS nodes, and ${n} is a darwin node";
            steps = [ ];
          }
        else
          {
            error = null;
            steps = if m.os == "darwin" then darwinDeploy n m else nixosDeploy n m;
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

      job =
        n:
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
        in
        {
          node = n;
          inherit os;
          inherit (j) error steps;
          hostFiles = if action == "build" || (action == "deploy" && mode == "build") then null else hostFiles n;
        };

      toplevel =
        n:
        if (metaOf n).os == "darwin" then
          "${flakeRef}#darwinConfigurations.${n}.system"
        else
          "${flakeRef}#nixosConfigurations.${n}.config.system.build.toplevel";

      plan = {
        inherit
          action
          mode
          flakeDir
          flakeRef
          ;
        nodes = checkedNames;
        jobs = map job checkedNames;
        # `build` is one nix invocation for all selected toplevels.
        build =
          if action == "build" then
            step "run" ([ "nix" "build" "--no-link" "--keep-going" ] ++ map toplevel checkedNames) { }
          else
            null;
        makeTargets = map (n: "nodes/${n}") checkedNames;
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
        "build"
        "test"
        "reboot"
      ])
    then
      throw "Unknown deploy mode ${toString mode}"
    else
      plan // { shell = toShell plan; };

  # REFERENCE §8.5: variables and phony targets for every node and group, so a user Makefile can
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
      ++ (
        if plan.build == null then
          [ "plan_build=0\n" ]
        else
          [
            "plan_build=1\n"
            (stepLines "B" plan.build)
          ]
      )
      ++ imap0 jobLines plan.jobs
    );
in
mkRequest
