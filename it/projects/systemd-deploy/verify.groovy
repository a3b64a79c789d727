// mvn deploy -Pstaging -Darchcore.deploy.target=systemd as a user runs it, against three real systemd machines:
// Debian 12 roots booted by systemd-nspawn with systemd as PID 1, each with its own address and sshd (plugin test
// code: SystemdNodes). No fleet, etcd, Docker or registry anywhere.
// 1. the image travels over SSH, in batches of two; on each node the unit archcore wrote runs under systemd in the
//    image's root and the app answers HTTP; archcore:machines lists the three;
// 2. a deploy whose unit fails on one node (another program holds the new port there) is rolled back on all three,
//    the build fails naming the node and the unit's journal, and every node answers with the first version again.
import dev.archcore.testing.*
import java.nio.file.*

File demo = new File(basedir, 'demo')
Path work = basedir.toPath().resolve('systemd')
Files.createDirectories(work)

def run = { File dir, List<String> cmd, Map<String, String> env = [:] ->
    def pb = new ProcessBuilder(cmd).directory(dir).redirectErrorStream(true)
    pb.environment().putAll(env)
    def p = pb.start()
    def out = p.inputStream.text
    [code: p.waitFor(), out: out]
}

long started = System.nanoTime()
def nodes = SystemdNodes.boot(work.resolve('nodes'), 3)
try {
    def on = { SystemdNodes.Node n, String command -> nodes.exec(n, command) }

    // as the pom's comment says: the staging profile names the nodes and how to log in to them
    File pom = new File(demo, 'pom.xml')
    def staging = ['archcore.deploy.nodes': nodes.endpoints().join(','),
                   'archcore.ssh.identity': nodes.clientKey.toString(),
                   'archcore.ssh.knownHosts': nodes.knownHosts.toString(),
                   'archcore.deploy.pollMillis': '300', 'archcore.deploy.timeoutSeconds': '60']
    String pomText = pom.text
    assert pomText.contains('<archcore.deploy.target>systemd</archcore.deploy.target>') : 'the pom shows no systemd target'
    int profile = pomText.indexOf('<id>staging</id>')
    int start = pomText.indexOf('<properties>', profile) + '<properties>'.length()
    int end = pomText.indexOf('</properties>', start)
    String kept = pomText.substring(start, end).readLines().findAll { line ->
        !staging.keySet().any { line.contains("<${it}>") } }.join('\n')
    pom.text = pomText.substring(0, start) + '\n' + staging.collect { k, v ->
        "        <${k}>${groovy.xml.XmlUtil.escapeXml(v)}</${k}>" }.join('\n') + kept + '\n      ' + pomText.substring(end)

    def mvn = { List<String> extra ->
        def cmd = ["${System.getProperty('maven.home')}/bin/mvn".toString(), '-B',
                   "-Dmaven.repo.local=${localRepositoryPath}".toString(), '-Pstaging',
                   '-Darchcore.deploy.target=systemd'] + extra
        def settings = new File(basedir.parentFile, 'interpolated-it-settings.xml')
        if (settings.exists()) {
            cmd += ['-s', settings.path]
        }
        run(demo, cmd, ['GIT_CEILING_DIRECTORIES': basedir.parentFile.path, 'HGRCPATH': '/dev/null'])
    }

    // 1. the deploy, two nodes at a time
    long t1 = System.nanoTime()
    def first = mvn(['deploy', '-Darchcore.deploy.batch=2'])
    new File(basedir, 'deploy-1.log').text = first.out
    assert first.code == 0 : "mvn deploy -Pstaging -Darchcore.deploy.target=systemd failed:\n${first.out}"
    println "systemd-deploy: first mvn deploy ${String.format('%.1f', (System.nanoTime() - t1) / 1e9)} s"
    assert first.out.contains('archcore.deploy.target=systemd: the nodes receive the image over SSH') : first.out
    assert first.out.contains('Batch 1 of 2') && first.out.contains('Batch 2 of 2') : first.out
    String digest = new File(demo, 'target/archcore/image.digest').text.trim()
    String hex = digest.substring('sha256:'.length())
    String reference = new groovy.json.JsonSlurper().parse(new File(demo, 'target/archcore/image.json')).reference
    String version = reference.substring(reference.lastIndexOf(':') + 1)
    for (n in nodes.nodes()) {
        assert on(n, 'systemctl is-active demo.service').text().strip() == 'active'
        def answer = on(n, 'curl -fsS http://127.0.0.1:8080/')
        assert answer.exitCode() == 0 && answer.text() == "demo ${version}\n".toString() : "${n}: ${answer.text()}"
        String unit = on(n, 'cat /etc/systemd/system/demo.service').text()
        assert unit.contains("RootDirectory=/var/lib/archcore/demo/sha256-${hex}/rootfs\n") : unit
        assert unit.contains('ExecStart="/usr/bin/demo"') && unit.contains('Environment="APP_PORT=8080"') : unit
        // neither Docker nor a registry: the node has no docker at all
        assert on(n, 'command -v docker || echo none').text().strip() == 'none'
    }

    def machines = mvn(['archcore:machines'])
    new File(basedir, 'machines.log').text = machines.out
    assert machines.code == 0 : machines.out
    assert machines.out.contains('3 node(s) of the systemd target')
    assert machines.out.readLines().count { it.contains('demo.service') && it.contains(hex.substring(0, 12))
            && it.contains('active') && it.contains('running') } == 3 : machines.out

    // 2. another program holds port 9090 on node2 (the app itself, started beside the unit), then a deploy that
    //    moves the app to 9090: it cannot bind there, so node2 fails and all three get the first unit back
    def node2 = nodes.node(2)
    assert on(node2, "systemd-run --unit=squatter --setenv=APP_PORT=9090 /var/lib/archcore/demo/sha256-${hex}/rootfs/usr/bin/demo").exitCode() == 0
    for (int i = 0; i < 100 && on(node2, 'curl -fsS http://127.0.0.1:9090/').exitCode() != 0; i++) {
        Thread.sleep(100)
    }
    long t2 = System.nanoTime()
    def second = mvn(['deploy', '-Darchcore.appPort=9090'])
    new File(basedir, 'deploy-2.log').text = second.out
    println "systemd-deploy: failing mvn deploy ${String.format('%.1f', (System.nanoTime() - t2) / 1e9)} s"
    assert second.code != 0 : "the failing deploy succeeded:\n${second.out}"
    // listed nodes are named by their endpoint
    assert second.out.contains("did not run on every node: 1 of 3 node(s) failed (root@${node2.address}:22: loaded/activating/auto-restart") : second.out
    assert second.out.contains('The previous unit was restored on the 3 node(s) the deploy had changed and runs on 3 again') : second.out
    assert second.out.contains("The journal of demo.service on root@${node2.address}:22:") && second.out.contains('bind: Address already in use') : second.out
    for (n in nodes.nodes()) {
        assert on(n, 'systemctl is-active demo.service').text().strip() == 'active'
        assert on(n, 'curl -fsS http://127.0.0.1:8080/').text() == "demo ${version}\n".toString()
        String unit = on(n, 'cat /etc/systemd/system/demo.service').text()
        assert unit.contains("RootDirectory=/var/lib/archcore/demo/sha256-${hex}/rootfs\n") && unit.contains('APP_PORT=8080') : unit
    }
    on(node2, 'systemctl stop squatter')
} finally {
    nodes.close()
}
println "systemd-deploy: ${String.format('%.1f', (System.nanoTime() - started) / 1e9)} s with three nodes"
return true
