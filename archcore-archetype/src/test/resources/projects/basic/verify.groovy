// Checks the project generated from archetype.properties: every file is there, every placeholder
// is filled in, nothing of Velocity is left, and what must stay literal ($pkgdir, $repo, $SSH_PORT...)
// did. No Maven build of the generated project here: that needs the archcore plugin (see it/).

def dir = context.projectDir as File
def failures = []
def check = { ok, String message -> if (!(ok as boolean)) failures << message }
def text = { String path -> new File(dir, path).getText('UTF-8') }

def run = { List<String> cmd, File cwd, Map<String, String> env = [:] ->
    def pb = new ProcessBuilder(cmd).directory(cwd)
    pb.environment().putAll(env)
    def p = pb.start()
    def out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream()
    p.waitForProcessOutput(out, err) // waits for the process and for both streams to be read
    [code: p.exitValue(), out: out.toString('UTF-8'), err: err.toString('UTF-8')]
}
def onPath = { String tool -> System.getenv('PATH').split(File.pathSeparator).any { new File(it, tool).canExecute() } }

// 1. the files
def expected = ['PKGBUILD', 'Makefile', 'README.md', 'pom.xml', 'pacman.conf', '.gitignore', '.mvn/jvm.config', 'app/server.c',
                'units/it-app.service', 'cloud-config/user_data.registry.yaml', 'cloud-config/user_data.slave.yaml']
expected.each { check(new File(dir, it).isFile(), "missing file: $it") }
if (failures) {
    throw new AssertionError("generated project ${dir}:\n  " + failures.join('\n  '))
}
def all = []
dir.eachFileRecurse(groovy.io.FileType.FILES) { all << dir.toPath().relativize(it.toPath()).toString() }
all.remove('build.log') // the IT's own log
check(all.sort() == expected.sort(), "unexpected file list: ${all.sort()}")

// 2. no Velocity left anywhere: no template variable, no directive, no unparsed-block marker
def templateVars = ~/\$!?\{?(groupId|artifactId|version|package|appPort|pkgdesc|archetypeVersion|archcoreVersion|d|pkgverFallback|versionFallback|pkgdescQuoted|pkgdescXml)\b/
expected.each { path ->
    def t = text(path)
    def m = t =~ templateVars
    check(!m.find(), "$path: template variable left: ${m.find() ? m.group() : ''}")
    ['#set', '#[[', ']]#', '#if(', '#end'].each { check(!t.contains(it), "$path: Velocity left: $it") }
    check(!t.contains('\r'), "$path: CR line ends")
}

// 3. PKGBUILD: real makepkg syntax, the values filled in, the shell variables intact
def pkgbuild = text('PKGBUILD')
def bashN = run(['bash', '-n', 'PKGBUILD'], dir)
check(bashN.code == 0, "PKGBUILD: bash -n failed: ${bashN.err}")
['$pkgdir', '$startdir', '$pkgver', '"$pkgver-$pkgrel"', 'pkgver()', 'build()', 'package()',
 'git rev-list --count HEAD', 'git rev-parse --short=7 HEAD', 'hg identify -n', 'hg identify -i', '# '].each {
    check(pkgbuild.contains(it), "PKGBUILD lost: $it")
}
def vars = run(['bash', '-c', 'source ./PKGBUILD && printf "%s|" "$pkgname" "$pkgver" "$pkgrel" "$pkgdesc" "${arch[*]}" "${#depends[@]}" "$url" "${license[*]}"'], dir)
check(vars.code == 0 && vars.err.isEmpty(), "PKGBUILD: sourcing failed: ${vars.err}")
check(vars.out == 'it-app|1.2.0|1|It\'s a "test" app & $HOME stays|x86_64 i686 aarch64|0||MIT|',
      "PKGBUILD values: ${vars.out}")

// pkgver() outside any repository: the fallback, and nothing else on stdout
def tmp = File.createTempDir('archcore-it', '')
try {
    new File(tmp, 'PKGBUILD').text = pkgbuild
    def env = [GIT_CEILING_DIRECTORIES: tmp.parentFile.absolutePath]
    def pv = run(['bash', '-c', 'source ./PKGBUILD && startdir=$PWD && pkgver'], tmp, env)
    check(pv.code == 0 && pv.out == '1.2.0', "pkgver() without a repository: '${pv.out}' (${pv.code}) ${pv.err}")
    if (onPath('git')) {
        def git = { List<String> args -> run(['git', '-c', 'user.name=it', '-c', 'user.email=it@example.invalid',
                                              '-c', 'init.defaultBranch=main'] + args, tmp, env) }
        git(['init', '-q'])
        pv = run(['bash', '-c', 'source ./PKGBUILD && startdir=$PWD && pkgver'], tmp, env)
        check(pv.out == '1.2.0', "pkgver() in a repository without commits: '${pv.out}'")
        git(['add', 'PKGBUILD'])
        git(['commit', '-q', '-m', 'first'])
        def hash = git(['rev-parse', '--short=7', 'HEAD']).out.trim()
        pv = run(['bash', '-c', 'source ./PKGBUILD && startdir=$PWD && pkgver'], tmp, env)
        check(pv.code == 0 && pv.out == "r1.${hash}", "pkgver() after one commit: '${pv.out}', expected r1.${hash}")
    }
} finally {
    tmp.deleteDir()
}

// 4. Makefile: the app name, version and port; recipes indented with tabs; parses
def makefile = text('Makefile')
check(makefile =~ /(?m)^APP\s+= it-app$/, 'Makefile: APP')
check(makefile =~ /(?m)^VERSION \?= 1\.2\.0$/, 'Makefile: VERSION')
check(makefile =~ /(?m)^DEFAULT_PORT \?= 9090$/, 'Makefile: DEFAULT_PORT')
check(makefile.contains('install -Dm755 $(BUILD)/$(APP) $(DESTDIR)$(BINDIR)/$(APP)'), 'Makefile: install')
check(makefile =~ /(?m)^\t\$\(CC\)/, 'Makefile: recipes must start with a tab')
if (onPath('make')) {
    def dry = run(['make', '-n', 'all', 'install', 'clean', 'DESTDIR=/nonexistent'], dir)
    check(dry.code == 0, "make -n failed: ${dry.err}")
    check(dry.out.contains('-static'), "make -n: no -static link: ${dry.out}")
}

// 5. the app: placeholders belong to the Makefile (build/config.h), the C file is verbatim
def server = text('app/server.c')
['#include "config.h"', 'APP_PORT', 'SIGTERM', 'HTTP/1.0 200 OK'].each { check(server.contains(it), "server.c lost: $it") }

// 6. pom.xml
def pom = new groovy.xml.XmlSlurper().parseText(text('pom.xml'))
check(pom.groupId.text() == 'com.example.it', "pom groupId ${pom.groupId}")
check(pom.artifactId.text() == 'it-app', "pom artifactId ${pom.artifactId}")
check(pom.version.text() == '1.2.0-SNAPSHOT', "pom version ${pom.version}")
check(pom.packaging.text() == 'pom', "pom packaging ${pom.packaging}")
check(pom.description.text() == 'It\'s a "test" app & $HOME stays', "pom description ${pom.description}")
def props = pom.properties
// the archetype's own version: from the archetype's pom, found above the generated project
def archetypeVersion = null
for (def f = dir.absoluteFile; f != null && archetypeVersion == null; f = f.parentFile) {
    def candidate = new File(f, 'pom.xml')
    if (candidate.isFile()) {
        def p = new groovy.xml.XmlSlurper().parse(candidate)
        if (p.artifactId.text() == 'archcore-archetype') {
            archetypeVersion = p.version.text() ?: p.parent.version.text()
        }
    }
}
check(archetypeVersion != null, 'cannot find the archetype pom above ' + dir)
check(props.'archcore.version'.text() == archetypeVersion,
      "archcore.version '${props.'archcore.version'}' != archetype version '${archetypeVersion}'")
check(props.'project.build.outputTimestamp'.text() ==~ /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/, 'outputTimestamp')
check(props.'maven.deploy.skip'.text() == 'true', 'maven.deploy.skip')
check(props.'archcore.sshPort'.text() == '2222', 'archcore.sshPort')
check(props.'archcore.etcdPort'.text() == '2479', 'archcore.etcdPort')
check(props.'archcore.registryPort'.text() == '5443', 'archcore.registryPort')
check(props.'archcore.registryPushPort'.text() == '5444', 'archcore.registryPushPort')
// empty: archcore:iso as typed renders node files without fleet (and says so) until the user pins its tarball
check(props.'archcore.fleetHash'.size() == 1 && props.'archcore.fleetHash'.text() == '', 'archcore.fleetHash must be empty by default')
def plugin = pom.build.plugins.plugin.find { it.artifactId.text() == 'archcore-maven-plugin' }
check(plugin.groupId.text() == 'dev.archcore', 'archcore plugin groupId')
check(plugin.version.text() == '${archcore.version}', "archcore plugin version ${plugin.version}")
def executions = plugin.executions.execution
check(executions*.id*.text() == ['pkg', 'image', 'push', 'deploy']
      && executions*.phase*.text() == ['package', 'package', 'deploy', 'deploy']
      && executions*.goals*.goal*.text().flatten() == ['pkg', 'image', 'push', 'deploy'],
      'archcore plugin: executions pkg then image in package, push then deploy in deploy')
def pinned = pom.build.pluginManagement.plugins.plugin.collectEntries { [(it.artifactId.text()): it.version.text()] }
check(pinned == ['maven-clean-plugin': '3.5.0', 'maven-resources-plugin': '3.5.0', 'maven-install-plugin': '3.2.0',
                 'maven-deploy-plugin': '3.2.0', 'maven-site-plugin': '3.22.0'], "pinned plugins: $pinned")
['staging', 'production'].each { id ->
    def profile = pom.profiles.profile.find { it.id.text() == id }
    check(profile.properties.'archcore.registry'.text() ==~ /[a-z0-9.-]+:\d+/, "profile $id: archcore.registry")
    check(profile.properties.'archcore.cluster'.text() ==~ /core@[a-z0-9.-]+:\d+/, "profile $id: archcore.cluster")
    check(profile.properties.'archcore.registryIp'.text() ==~ /[0-9.]+/, "profile $id: archcore.registryIp")
    // `mvn archcore:iso` and `mvn deploy` as typed use staging; -Pproduction turns it off
    check(profile.activation.activeByDefault.text() == (id == 'staging' ? 'true' : ''), "profile $id: activeByDefault")
}
// the commented archcore:provision example (the goal's first error asks for <nodes>): uncommented, it is
// a default-cli execution with one master and a worker
def pomText = text('pom.xml')
def example = (pomText =~ /(?s)Uncomment, [^\n]*\n\s*(<execution>.*?<\/execution>)\s*-->/)
check(example.find(), 'pom.xml: no commented <execution> with <nodes> for archcore:provision')
if (example.find(0)) {
    def execution = new groovy.xml.XmlSlurper().parseText(example.group(1))
    check(execution.id.text() == 'default-cli', "provision example: execution id ${execution.id}")
    def nodes = execution.configuration.nodes.node
    check(nodes*.name*.text() == ['registry', 'slave'] && nodes*.role*.text() == ['master', ''],
          "provision example: nodes ${nodes*.name*.text()} ${nodes*.role*.text()}")
    check(execution.configuration.region.text() && execution.configuration.size.text(), 'provision example: region, size')
}

// 7. pacman.conf: pacman's own $repo/$arch survive
def pacmanConf = text('pacman.conf')
['[options]', 'Architecture = x86_64', 'SigLevel = Required DatabaseOptional', 'NoExtract  = usr/share/man/* usr/share/info/*',
 '[core]', '[extra]', 'Server = https://mirror.rackspace.com/archlinux/$repo/os/$arch',
 '#Server = https://mirror.archlinux32.org/$arch/$repo', '#Server = http://mirror.archlinuxarm.org/$arch/$repo'].each {
    check(pacmanConf.contains(it), "pacman.conf lost: $it")
}
def sections = pacmanConf.readLines().findAll { it ==~ /\[[^\]]+\]/ }
check(sections == ['[options]', '[core]', '[extra]'], "pacman.conf active sections: $sections")

// 8. the fleet unit
def unit = text('units/it-app.service')
['[Unit]', '[Service]', '[X-Fleet]', 'Global=true', '@image@', '/usr/bin/docker --config /etc/archcore/docker pull @image@',
 '/usr/bin/docker run --rm --name it-app -p @appPort@:@appPort@ -e APP_PORT=@appPort@ @image@', 'ExecStop=/usr/bin/docker stop it-app'].each {
    check(unit.contains(it), "it-app.service lost: $it")
}
def xfleet = unit.substring(unit.indexOf('[X-Fleet]')).readLines().findAll { it && !it.startsWith('#') }
check(xfleet == ['[X-Fleet]', 'Global=true'], "[X-Fleet] must hold only Global=true: $xfleet")

// 9. cloud-configs: the placeholders stay for archcore:iso, and they are YAML
['registry', 'slave'].each { role ->
    def path = "cloud-config/user_data.${role}.yaml"
    def yaml = text(path)
    check(yaml.startsWith('#cloud-config\n'), "$path: first line must be #cloud-config")
    ['$SSH_PORT', '$ETCD_PORT', '$REGISTRY_IP', '$REGISTRY', '$APP_NAME', '$APP_PORT', '$public_ipv4', 'hostname: $HOSTNAME',
     '- $SSH_AUTHORIZED_KEYS', 'ListenStream=$SSH_PORT', 'PasswordAuthentication no', 'PermitRootLogin no',
     'systemd-timesyncd.service', 'FLEET_ETCD_SERVERS=https://$REGISTRY_IP:$ETCD_PORT', '/etc/docker/certs.d/$REGISTRY_IP:$REGISTRY_PORT/ca.crt',
     '      $CA_CERT', 'FLEET_ETCD_CERTFILE=', 'FLEET_ETCD_KEYFILE=',
     'ConditionPathExists=/etc/archcore/fleet/etcd-client.key',
     // fleet comes with the node files (no OS ships it): pinned tarball, fleet's own units, Unix socket only
     '- name: fleet-install.service', 'ARCHCORE_FETCH_HASH=$FLEET_HASH', 'ExecStart=/opt/bin/fleetd',
     'ListenStream=/var/run/fleet.sock', '- path: /opt/archcore/bin/archcore-fetch'].each {
        check(yaml.contains(it), "$path lost: $it")
    }
    check(!yaml.contains('"insecure-registries"'), "$path: Docker must check the registry's certificate")
    // everything of fleet sits in the fleet parts, which archcore:iso leaves out while archcore.fleetHash is empty
    // (the pom's default): the marker lines pair up, and outside them nothing of fleet is left
    def outside = new StringBuilder(), inside = new StringBuilder()
    def part = null
    yaml.readLines().eachWithIndex { line, i ->
        def m = line =~ /^\s*#\s*archcore:(begin|end)\s+(\S+)/
        if (m.find() && !line.startsWith('#')) {
            check(m.group(2) == 'fleet', "$path line ${i + 1}: a part other than fleet: $line")
            check((m.group(1) == 'begin') == (part == null), "$path line ${i + 1}: unpaired marker: $line")
            part = m.group(1) == 'begin' ? m.group(2) : null
        } else if (!line.startsWith('#')) {
            (part ? inside : outside) << line << '\n'
        }
    }
    check(part == null, "$path: a fleet part is not ended")
    ['- name: fleet-install.service', '- name: fleet.socket', '- name: fleet.service', 'ARCHCORE_FETCH_HASH=$FLEET_HASH',
     'FLEET_ETCD_SERVERS=', '- path: /etc/archcore/fleet/ca.crt', '/etc/sysusers.d/archcore-fleet.conf'].each {
        check(inside.toString().contains(it) && !outside.toString().contains(it), "$path: '$it' must be inside a fleet part only")
    }
    check(!outside.toString().contains('$FLEET_HASH') && !outside.toString().contains('$public_ipv4'), "$path: fleet's placeholders outside the fleet part")
    // no private key in user data: fleet's etcd client key comes over SSH when an update starts
    check(!yaml.contains('$FLEET_ETCD_KEY\n') && !yaml.contains('$FLEET_ETCD_CERT') && !yaml.contains('PRIVATE KEY'),
          "$path: fleet's etcd client certificate and key must not be in the user data")
    check(yaml.contains('# The fleet parts: the lines between "# archcore:begin fleet" and "# archcore:end fleet"'), "$path: the header must explain the fleet parts")
    if (role == 'registry') {
        ['etcd-member.service', 'archcore-registry.service', '$REGISTRY_PORT', 'archcore-registry-push.service',
         '-p 127.0.0.1:$REGISTRY_PUSH_PORT:5000 ', 'REGISTRY_AUTH_HTPASSWD_PATH=/certs/htpasswd-push ',
         'REGISTRY_AUTH_HTPASSWD_PATH=/certs/htpasswd-pull ', '\'REGISTRY_STORAGE_MAINTENANCE={"readonly": {"enabled": true}',
         'REGISTRY_AUTH=htpasswd', 'REGISTRY_HTTP_TLS_CERTIFICATE', 'ETCD_CLIENT_CERT_AUTH=true',
         'ETCD_LISTEN_CLIENT_URLS=https://$REGISTRY_IP:$ETCD_PORT,https://127.0.0.1:$ETCD_PORT',
         '- name: etcd-install.service', 'ExecStart=/opt/bin/etcd',
         'docker.io/library/registry:2.8.3@sha256:a3d8aaa63ed8681a604f1dea0aa03f100d5895b6a58ace528858a7b332415373'].each {
            check(yaml.contains(it), "$path lost: $it")
        }
        // the master's keys and htpasswd go over SSH when an update starts, never in user data
        ['      $REGISTRY_KEY', '      $REGISTRY_HTPASSWD', '      $ETCD_KEY'].each {
            check(!yaml.contains(it), "$path: $it must not be in user data")
        }
    } else {
        check(!yaml.contains('etcd-member') && !yaml.contains('archcore-registry') && !yaml.contains('REGISTRY_KEY'),
              "$path: a worker runs no etcd or registry and holds no registry key")
    }
}
if (onPath('python3') && run(['python3', '-c', 'import yaml'], dir).code == 0) {
    def py = '''
import sys, yaml
for path in sys.argv[1:]:
    d = yaml.safe_load(open(path))
    c = d["coreos"]
    units = {u["name"]: u for u in c["units"]}
    assert units["ntpd.service"].get("mask") is True, path + ": ntpd not masked"
    assert units["systemd-timesyncd.service"].get("command") == "start", path + ": timesyncd"
    assert units["fleet.service"].get("command") == "start", path + ": fleet"
    for name, u in units.items():
        if name.startswith("etcd") or name.startswith("archcore-registry"):
            assert "command" not in u and not u.get("enable"), path + ": " + name + " must not start at boot"
            assert "[Install]" not in u.get("content", ""), path + ": " + name + " must not be enabled"
    for u in units.values():
        for d_ in u.get("drop_ins", []):
            assert "PEER_URLS=http://127.0.0.1:" in d_["content"] or "PEER_URLS" not in d_["content"], path
    assert d["ssh_authorized_keys"] == ["$SSH_AUTHORIZED_KEYS"], path
    for f in d["write_files"]:
        assert not f["path"].startswith("/usr"), path + ": write_files under /usr"
'''
    def r = run(['python3', '-c', py, 'cloud-config/user_data.registry.yaml', 'cloud-config/user_data.slave.yaml'], dir)
    check(r.code == 0, "cloud-config YAML: ${r.err}")
}

// 10. .mvn/jvm.config: Maven 3.9's mvn passes every word of it to java as it is (no comments), so each word
// must be a JVM option the JDK that runs this check accepts
def jvmConfig = text('.mvn/jvm.config')
check(jvmConfig.readLines().size() == 1 && !jvmConfig.contains('#'), ".mvn/jvm.config: one line, no comment: $jvmConfig")
def jvmOptions = jvmConfig.trim().split(/\s+/) as List
check(jvmOptions.every { it.startsWith('-XX:') }, ".mvn/jvm.config: not all -XX: options: $jvmOptions")
def javaBin = new File(System.getProperty('java.home'), 'bin/java').absolutePath
def javaRun = run([javaBin] + jvmOptions + ['-version'], dir)
check(javaRun.code == 0 && !javaRun.err.contains('warning'), ".mvn/jvm.config: java ${jvmOptions.join(' ')} -version: ${javaRun.err}")

// 11. .gitignore and README
def gitignore = text('.gitignore')
['target/', '/src/', '/pkg/', '/build/', '*.pkg.tar.*'].each { check(gitignore.readLines().contains(it), ".gitignore lacks $it") }
def readme = text('README.md')
['# it-app', '\n## Build\n', '\n## The cluster\n', 'mvn archcore:iso   ', 'example.invalid', '-Darchcore.arch=i686', '-Darchcore.recipe=builder', 'pacman-i686.conf', 'It\'s a "test" app & $HOME stays', 'make DESTDIR=', '"$pkgdir"', 'units/it-app.service', 'APP_PORT=9090', '`.mvn/jvm.config`'].each {
    check(readme.contains(it), "README.md lacks: $it")
}

if (failures) {
    throw new AssertionError("generated project ${dir}:\n  " + failures.join('\n  '))
}
println "verify.groovy: ${expected.size()} files checked in ${dir}"
return true
