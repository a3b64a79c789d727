// mvn deploy -Pstaging as a user runs it, against a master made of: a real sshd (127.0.0.1, its own port), the real
// etcd and docker-registry (TLS + htpasswd) started and stopped by the update window's commands over SSH, and the
// fleet simulator (plugin test code) on a Unix socket behind sshd, with four machines.
// 1. the image is in the registry, every machine runs the new unit (image pinned by digest), the window is closed;
//    etcd answers only TLS clients with a certificate from the cluster PKI (the window's check presents archcore's);
// 2. a unit that fails on one machine is rolled back on all of them, the build fails naming the machine;
// 3. a build that fails between push and deploy still has the window closed (when Maven exits).
import dev.archcore.testing.*
import java.nio.file.*

File demo = new File(basedir, 'demo')
Path work = basedir.toPath().resolve('cluster')
Files.createDirectories(work)

def run = { File dir, List<String> cmd, Map<String, String> env = [:] ->
    def pb = new ProcessBuilder(cmd).directory(dir).redirectErrorStream(true)
    pb.environment().putAll(env)
    def p = pb.start()
    def out = p.inputStream.text
    [code: p.waitFor(), out: out]
}
def answers = { int port -> try { new Socket('127.0.0.1', port).close(); true } catch (IOException e) { false } }

def sshd = SshServer.start(work.resolve('sshd'))
// the cluster PKI archcore:iso makes: the master's etcd asks for a client certificate from its CA, and the update
// window's health check (through the SSH tunnel) presents archcore's
Path pki = work.resolve('pki')
dev.archcore.provision.pki.ClusterPki.ensure(new dev.archcore.provision.pki.ClusterPki.Request(pki, 'demo', ['127.0.0.1'],
        'archcore', null, dev.archcore.util.Log.NONE))
def etcd = new EtcdServer(work.resolve('etcd'), pki)
// the registry's TLS certificate, htpasswd and config, then run by scripts as the master's systemctl would
def made = RegistryServer.secure(work.resolve('registry'))
made.close()
Path regDir = made.dir
Files.writeString(regDir.resolve('start.sh'), "#!/bin/sh\ncd ${regDir}\nsetsid docker-registry serve ${regDir}/config.yml > serve.log 2>&1 < /dev/null &\necho \$! > pid\n")
Files.writeString(regDir.resolve('stop.sh'), "#!/bin/sh\ncd ${regDir}\n[ -f pid ] || exit 0\nkill \$(cat pid); rm -f pid\nsleep 0.3\n")
def sim = FleetSimulator.start(work.resolve('fleet.sock'), 4, 100)
try {
    // a previous deploy's unit runs everywhere
    def oldUnit = dev.archcore.cluster.UnitFile.render(new File(demo, 'units/demo.service').text,
            '192.0.2.10:5443/demo@sha256:' + '0' * 64, 'old').options()
    sim.preload('demo.service', oldUnit)
    String oldHash = sim.unitHash('demo.service')

    // as the pom's comment says: edit the staging profile to name your registry and cluster (here the test
    // cluster's, with its plumbing: the SSH key, fleet's socket, the window's commands), then `mvn deploy -Pstaging`
    File pom = new File(demo, 'pom.xml')
    def staging = ['archcore.registry': made.host(), 'archcore.registry.caFile': made.caFile.toString(),
                   'archcore.cluster': sshd.endpoint(), 'archcore.ssh.identity': sshd.clientKey.toString(),
                   'archcore.ssh.knownHosts': sshd.knownHosts.toString(), 'archcore.fleet.socket': sim.socket.toString(),
                   'archcore.etcdPort': etcd.clientPort.toString(), 'archcore.pkiDirectory': pki.toString(),
                   'archcore.window.etcdStart': etcd.startCommand(), 'archcore.window.etcdStop': etcd.stopCommand(),
                   'archcore.window.registryStart': "sh ${regDir}/start.sh".toString(),
                   'archcore.window.registryStop': "sh ${regDir}/stop.sh".toString(),
                   // the push goes through SSH to the master's 127.0.0.1:<push port>; this IT's one registry is
                   // both sides (PullOnlyRegistryTest runs the template's read-only and push units)
                   'archcore.registryPushPort': made.port.toString(),
                   'archcore.deploy.pollMillis': '200', 'archcore.deploy.timeoutSeconds': '60',
                   // the secrets the window writes over SSH: under a folder of this IT, not this machine's /etc
                   'archcore.secrets.root': work.resolve('master-root').toString()]
    String pomText = pom.text
    int profile = pomText.indexOf('<id>staging</id>')
    int start = pomText.indexOf('<properties>', profile) + '<properties>'.length()
    int end = pomText.indexOf('</properties>', start)
    String kept = pomText.substring(start, end).readLines().findAll { line ->
        !staging.keySet().any { line.contains("<${it}>") } }.join('\n')
    pom.text = pomText.substring(0, start) + '\n' + staging.collect { k, v ->
        "        <${k}>${groovy.xml.XmlUtil.escapeXml(v)}</${k}>" }.join('\n') + kept + '\n      ' + pomText.substring(end)

    def mvn = { List<String> extra ->
        def cmd = ["${System.getProperty('maven.home')}/bin/mvn".toString(), '-B',
                   "-Dmaven.repo.local=${localRepositoryPath}".toString(), '-Pstaging'] + extra
        def settings = new File(basedir.parentFile, 'interpolated-it-settings.xml')
        if (settings.exists()) {
            cmd += ['-s', settings.path]
        }
        run(demo, cmd, ['GIT_CEILING_DIRECTORIES': basedir.parentFile.path, 'HGRCPATH': '/dev/null',
                        'ARCHCORE_REGISTRY_USERNAME': RegistryServer.USER, 'ARCHCORE_REGISTRY_PASSWORD': RegistryServer.PASSWORD])
    }

    // 1. the deploy
    def first = mvn(['deploy'])
    new File(basedir, 'deploy-1.log').text = first.out
    assert first.code == 0 : "mvn deploy -Pstaging failed:\n${first.out}"
    assert !first.out.contains(RegistryServer.PASSWORD)
    String digest = new File(demo, 'target/archcore/push.digest').text.trim()
    // the image is in the registry (started for the push, so start it again to look)
    assert !answers(made.port) && !answers(etcd.clientPort) : 'the update window was left open'
    assert !new File(demo, 'target/archcore/update-window.json').exists()
    assert run(demo, ['sh', "${regDir}/start.sh".toString()]).code == 0
    try {
        String inspected = null
        for (int i = 0; i < 100 && inspected == null; i++) {
            def r = run(demo, ['skopeo', 'inspect', "--cert-dir=${made.certDir}".toString(),
                               "--creds=${RegistryServer.USER}:${RegistryServer.PASSWORD}".toString(),
                               "docker://${made.host()}/demo:1.0.0-1".toString()])
            if (r.code == 0) inspected = r.out else Thread.sleep(100)
        }
        assert inspected != null && inspected.contains(digest) : "the registry lacks ${digest}: ${inspected}"
    } finally {
        run(demo, ['sh', "${regDir}/stop.sh".toString()])
    }
    String newHash = sim.unitHash('demo.service')
    assert newHash != oldHash
    assert sim.unitText('demo.service').contains("docker run --rm --name demo -p 8080:8080 -e APP_PORT=8080 192.0.2.10:5443/demo@${digest}")
    def states = sim.states('demo.service')
    assert states.size() == 4 && states.values().every { it == "${newHash} loaded/active/running".toString() } : "states: ${states}"
    assert first.out.contains('Update window: starting etcd') && first.out.contains('Update window: starting registry')
    assert first.out.contains("Pushing through SSH to the registry's push side on 127.0.0.1:${made.port}")
    // the master's secrets and the pull login arrived over SSH, root-only; the unit pulls with that login
    Path masterRoot = work.resolve('master-root')
    for (String secret : ['etc/archcore/registry/registry.key', 'etc/archcore/registry/htpasswd-push',
                          'etc/archcore/registry/htpasswd-pull', 'etc/ssl/etcd/etcd.key', 'etc/archcore/docker/config.json']) {
        assert java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(masterRoot.resolve(secret))) == 'rw-------' : secret
    }
    assert Files.readString(masterRoot.resolve('etc/archcore/docker/config.json')).contains('"192.0.2.10:5443"')
    assert sim.unitText('demo.service').contains('docker --config /etc/archcore/docker pull 192.0.2.10:5443/demo@')
    assert first.out.contains('Update window: stopped registry') && first.out.contains('Update window: stopped etcd')
    assert first.out.contains('demo.service ' + newHash.substring(0, 7) + ': 4/4 machines running')

    // 2. a unit that fails on one machine: rolled back everywhere
    String bad = sim.machineIds()[1]
    sim.failUnitsContaining(bad, 'ARCHCORE_IT_FAIL')
    File unitFile = new File(demo, 'units/demo.service')
    unitFile.text = unitFile.text.replace('[Service]\n', '[Service]\nEnvironment=ARCHCORE_IT_FAIL=1\n')
    def second = mvn(['deploy'])
    new File(basedir, 'deploy-2.log').text = second.out
    assert second.code != 0 : "the failing deploy succeeded:\n${second.out}"
    assert second.out.contains("1 of 4 machines failed (${sim.describe(bad)}: loaded/failed/failed)")
    assert second.out.contains("The previous unit ${newHash.substring(0, 7)} was restored and runs on every machine again")
    assert sim.unitHash('demo.service') == newHash
    assert sim.states('demo.service').values().every { it == "${newHash} loaded/active/running".toString() }
    assert !answers(made.port) && !answers(etcd.clientPort) : 'the update window was left open after the failure'

    // 3. the build fails after archcore:push, before archcore:deploy runs (its configuration is refused): the window
    //    push handed over is closed when Maven exits, by the guard push registered
    def broken = mvn(['deploy', '-Darchcore.deploy.pollMillis=not-a-number'])
    new File(basedir, 'deploy-3.log').text = broken.out
    assert broken.code != 0 : broken.out
    assert broken.out.contains('Update window left open for archcore:deploy') : broken.out
    assert broken.out.contains('the build ended before archcore:deploy closed the update window') : broken.out
    assert broken.out.contains('Update window: stopped registry') && broken.out.contains('Update window: stopped etcd') : broken.out
    assert !answers(made.port) && !answers(etcd.clientPort) : 'the update window was left open when the build failed before deploy'
    assert !new File(demo, 'target/archcore/update-window.json').exists()

    // 4. archcore:machines lists the machines and the unit on each
    def machines = mvn(['archcore:machines'])
    assert machines.code == 0 : machines.out
    assert machines.out.contains('4 machine(s) in the cluster') && machines.out.contains('role=registry')
    assert machines.out.readLines().count { it.contains('demo.service') && it.contains(newHash.substring(0, 7)) && it.contains('running') } == 4
} finally {
    sim.close()
    etcd.close()
    run(basedir, ['sh', "${regDir}/stop.sh".toString()])
    sshd.close()
}
return true
