// The loaded image runs: busybox lists the pacman database inside, the host's pacman reads the exported
// root filesystem, and the app answers HTTP on its port. The private dockerd is stopped at the end.
File dir = new File(new File(basedir, 'dockerd.dir').text)
String host = "unix://${dir}/docker.sock"
def run = { List<String> cmd ->
    def p = new ProcessBuilder(cmd).directory(basedir).redirectErrorStream(true).start()
    def out = p.inputStream.text
    [code: p.waitFor(), out: out]
}
def ok = { List<String> cmd ->
    def r = run(cmd)
    assert r.code == 0 : "${cmd.join(' ')}:\n${r.out}"
    r.out
}
def docker = { List<String> args -> ok(['timeout', '120', 'docker', '-H', host] + args) }
try {
    String image = 'it-app:2.1-1'
    def log = new File(basedir, 'build.log').text
    assert log.contains("Loaded ${image}") : "archcore:load did not report loading ${image}"
    String digest = new File(basedir, 'app/target/archcore/image.digest').text.trim()
    assert docker(['image', 'inspect', '--format', '{{json .Config.Labels}}', image]).contains('"it.archcore":"image-deps-load"')

    def local = docker(['run', '--rm', '--network', 'none', '--entrypoint', '/usr/bin/ls', image, '/var/lib/pacman/local'])
    assert local.contains('busybox-1.36.1-1') && local.contains('it-app-2.1-1') && local.contains('ALPM_DB_VERSION')

    // pacman on the host reads the container's own database: pacman -Q of the exported root
    String cid = docker(['create', image]).trim()
    File rootfs = new File(basedir, 'exported')
    rootfs.mkdirs()
    File tar = new File(basedir, 'exported.tar')
    docker(['export', '-o', tar.path, cid])
    docker(['rm', cid])
    ok(['bsdtar', '-xpf', tar.path, '-C', rootfs.path])
    def q = ok(['pacman', '--root', rootfs.path, '--dbpath', "${rootfs}/var/lib/pacman".toString(), '-Q'])
    assert q.readLines() == ['busybox 1.36.1-1', 'it-app 2.1-1']
    def qkk = run(['pacman', '--root', rootfs.path, '--dbpath', "${rootfs}/var/lib/pacman".toString(), '-Qkk'])
    assert qkk.out.contains('busybox: ') && qkk.out.contains(' 0 altered files') && !qkk.out.contains(' 1 altered')

    // the app answers on the port the pom set
    String running = docker(['run', '-d', '--rm', '--network', 'host', image]).trim()
    try {
        String body = null
        for (int i = 0; i < 50 && body == null; i++) {
            try {
                body = new URL('http://127.0.0.1:18473/').text
            } catch (IOException e) {
                Thread.sleep(200)
            }
        }
        assert body == 'hello from it-app\n'
    } finally {
        run(['docker', '-H', host, 'kill', running])
    }
} finally {
    String pid = new File(dir, 'docker.pid').exists() ? new File(dir, 'docker.pid').text.trim() : null
    if (pid) {
        run(['kill', pid])
        for (int i = 0; i < 100 && new File("/proc/${pid}").exists(); i++) {
            Thread.sleep(100)
        }
    }
    // dockerd leaves its network namespaces bind-mounted under the exec root
    new File(dir, 'exec/netns').listFiles()?.each { run(['umount', it.path]) }
    run(['rm', '-rf', dir.path])
}
return true
