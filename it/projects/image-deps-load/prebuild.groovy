// A private dockerd (no bridge, no iptables, vfs, as test-tools.md runs it) for archcore:load, and the app's
// pacman.conf pointing at the repository the first invocation fills. Both need absolute paths.
File app = new File(basedir, 'app')
new File(app, 'pacman.conf').text = """[options]
Architecture = x86_64
SigLevel = Never

[itdeps]
Server = file://${new File(basedir, 'repo').absolutePath}
"""
// unix socket paths are short: keep the daemon under /tmp
File dir = File.createTempDir('archcore-it-dockerd', '')
new File(basedir, 'dockerd.dir').text = dir.path
def cmd = ['dockerd', '--iptables=false', '--ip-masq=false', '--bridge=none', '--storage-driver=vfs',
           '--data-root', "${dir}/data".toString(), '--exec-root', "${dir}/exec".toString(),
           '--pidfile', "${dir}/docker.pid".toString(), '-H', "unix://${dir}/docker.sock".toString()]
new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(new File(dir, 'dockerd.log')).start()
new File(app, '.mvn').mkdirs()
new File(app, '.mvn/maven.config').text = "-Darchcore.dockerHost=unix://${dir}/docker.sock\n"
for (int i = 0; i < 120; i++) {
    def p = ['docker', '-H', "unix://${dir}/docker.sock".toString(), 'version'].execute()
    p.waitForProcessOutput(new StringBuilder(), new StringBuilder())
    if (p.exitValue() == 0) {
        return true
    }
    Thread.sleep(250)
}
throw new IllegalStateException('dockerd did not start:\n' + new File(dir, 'dockerd.log').text)
