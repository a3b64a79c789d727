// Judges the generated app's package with Debian's pacman, runs the packaged server, then checks the VCS
// version (git and Mercurial) and that a clean clone of the same commit builds a byte-identical package.
import java.nio.file.*
import java.security.MessageDigest

File demo = new File(basedir, 'demo')

def run = { File dir, List<String> cmd, Map<String, String> env = [:] ->
    def pb = new ProcessBuilder(cmd).directory(dir).redirectErrorStream(true)
    pb.environment().putAll(env)
    def p = pb.start()
    def out = p.inputStream.text
    int code = p.waitFor()
    [code: code, out: out]
}
def ok = { File dir, List<String> cmd, Map<String, String> env = [:] ->
    def r = run(dir, cmd, env)
    assert r.code == 0 : "${cmd.join(' ')} exited ${r.code}:\n${r.out}"
    r.out
}
def sha256 = { File f -> MessageDigest.getInstance('SHA-256').digest(f.bytes).encodeHex().toString() }
def packages = { File dir -> (new File(dir, 'target').listFiles() ?: []).findAll { it.name.endsWith('.pkg.tar.zst') } }
boolean root = System.getProperty('user.name') == 'root'
def asRoot = { List<String> cmd -> root ? cmd : ['unshare', '-r'] + cmd }

// 1. the package of a project that is not under version control yet: pkgver falls back to 1.0.0
def built = packages(demo)
assert built*.name == ['demo-1.0.0-1-x86_64.pkg.tar.zst'] : "packages in demo/target: ${built*.name}"
File pkg = built[0]
assert ok(demo, ['testpkg', pkg.path]).contains('Package is valid.')
def info = ok(demo, ['pacman', '-Qip', pkg.path])
assert info =~ /(?m)^Name\s+: demo$/
assert info =~ /(?m)^Version\s+: 1\.0\.0-1$/
assert info =~ /(?m)^Depends On\s+: None$/

// the image: an OCI layout and a docker-archive that skopeo reads, with the app as entrypoint
File layout = new File(demo, 'target/archcore/image')
assert new File(layout, 'index.json').isFile()
File archive = new File(demo, 'target/demo-1.0.0-SNAPSHOT-image.tar')
String digest = new File(demo, 'target/archcore/image.digest').text.trim()
assert digest ==~ /sha256:[0-9a-f]{64}/
def inspected = ok(demo, ['skopeo', 'inspect', "oci:${layout}:1.0.0-1".toString()])
assert inspected.contains(digest)
def config = ok(demo, ['skopeo', 'inspect', '--config', "docker-archive:${archive}".toString()])
assert config.contains('"/usr/bin/demo"') && config.contains('8080/tcp') && config.contains('APP_PORT=8080')
assert new File(demo, 'packages.lock.json').text.contains('"packages"')

// the package is attached to the project, as `mvn install` needs
def log = new File(basedir, 'build.log').text
assert log.contains('demo-1.0.0-1-x86_64.pkg.tar.zst')

// 2. install it into an empty root, check every file, run the static server and ask it over HTTP
File rootDir = new File(basedir, 'root')
new File(rootDir, 'var/lib/pacman').mkdirs()
File conf = new File(basedir, 'pacman.conf')
conf.text = '[options]\nArchitecture = auto\nSigLevel = Never\nLocalFileSigLevel = Never\n'
ok(basedir, asRoot(['pacman', '--root', rootDir.path, '--dbpath', "${rootDir}/var/lib/pacman".toString(),
        '--cachedir', "${rootDir}/cache".toString(), '--config', conf.path, '--noconfirm', '-U', pkg.path]))
assert ok(basedir, ['pacman', '--root', rootDir.path, '--dbpath', "${rootDir}/var/lib/pacman".toString(),
        '--config', conf.path, '-Qkk', 'demo']).contains(' 0 altered files')

int port = new ServerSocket(0).withCloseable { it.localPort }
def server = new ProcessBuilder(["${rootDir}/usr/bin/demo".toString()]).redirectErrorStream(true)
server.environment().put('APP_PORT', port as String)
def proc = server.start()
try {
    String body = null
    for (int i = 0; i < 50 && body == null; i++) {
        try {
            body = new URL("http://127.0.0.1:${port}/").text
        } catch (IOException e) {
            Thread.sleep(100)
        }
    }
    assert body != null : 'the packaged server never answered'
    assert body.contains('demo') : "unexpected answer: ${body}"
} finally {
    proc.destroy()
}

// 3. under git: pkgver is r<count>.<short hash>; a clean clone of the same commit gives the same bytes
def mvn = { File dir, List<String> goals = ['clean', 'package'] ->
    def settings = new File(basedir.parentFile, 'interpolated-it-settings.xml')
    def cmd = ["${System.getProperty('maven.home')}/bin/mvn".toString(), '-B', '-q',
               "-Dmaven.repo.local=${localRepositoryPath}".toString()] + goals
    if (settings.exists()) {
        cmd += ['-s', settings.path]
    }
    ok(dir, cmd, ['GIT_CEILING_DIRECTORIES': basedir.parentFile.path, 'HGRCPATH': '/dev/null'])
}
def gitEnv = ['GIT_AUTHOR_NAME': 'IT', 'GIT_AUTHOR_EMAIL': 'it@example.invalid', 'GIT_COMMITTER_NAME': 'IT',
              'GIT_COMMITTER_EMAIL': 'it@example.invalid', 'GIT_AUTHOR_DATE': '2026-01-01T00:00:00Z',
              'GIT_COMMITTER_DATE': '2026-01-01T00:00:00Z', 'GIT_CEILING_DIRECTORIES': basedir.parentFile.path]
ok(demo, ['git', 'init', '-q'], gitEnv)
ok(demo, ['git', 'add', '-A'], gitEnv)
ok(demo, ['git', 'commit', '-q', '-m', 'first'], gitEnv)
ok(demo, ['git', 'commit', '-q', '--allow-empty', '-m', 'second'], gitEnv)
String hash = ok(demo, ['git', 'rev-parse', '--short=7', 'HEAD'], gitEnv).trim()
mvn(demo)
def gitBuilt = packages(demo)
assert gitBuilt*.name == ["demo-r2.${hash}-1-x86_64.pkg.tar.zst".toString()] : "after git commit: ${gitBuilt*.name}"

File clone = new File(basedir, 'demo-clone')
ok(basedir, ['git', 'clone', '-q', demo.path, clone.path], gitEnv)
mvn(clone)
def cloneBuilt = packages(clone)
assert cloneBuilt*.name == gitBuilt*.name
assert sha256(cloneBuilt[0]) == sha256(gitBuilt[0]) : 'a clean clone of the same commit built different bytes'
assert new File(clone, 'target/archcore/image.digest').text == new File(demo, 'target/archcore/image.digest').text :
        'a clean clone of the same commit built a different image'

// the docker-archive and the SBOM are attached beside the package: `mvn install` puts them into the local repository
mvn(clone, ['install'])
File installed = new File(localRepositoryPath.toString(), 'com/example/demo/1.0.0-SNAPSHOT')
File installedImage = new File(installed, 'demo-1.0.0-SNAPSHOT-image.tar')
File installedSbom = new File(installed, 'demo-1.0.0-SNAPSHOT-sbom.spdx.json')
assert installedImage.isFile() && installedSbom.isFile() : "not installed: ${installed.list()}"
assert new File(installed, 'demo-1.0.0-SNAPSHOT.pkg.tar.zst').isFile() : "no package installed: ${installed.list()}"
assert sha256(installedImage) == sha256(new File(clone, 'target/demo-1.0.0-SNAPSHOT-image.tar'))
assert installedSbom.text.contains('"spdxVersion"') && installedSbom.text.contains('"demo"')

// 4. archcore:push sends the image to a real registry (the staging profile's registry, overridden to a local one)
File registryDir = new File(basedir, 'registry')
registryDir.mkdirs()
int registryPort = new ServerSocket(0).withCloseable { it.localPort }
new File(registryDir, 'config.yml').text = """version: 0.1
storage: {filesystem: {rootdirectory: ${registryDir}/data}}
http: {addr: 127.0.0.1:${registryPort}}
"""
def registry = new ProcessBuilder(['docker-registry', 'serve', "${registryDir}/config.yml".toString()])
        .redirectErrorStream(true).redirectOutput(new File(registryDir, 'registry.log')).start()
try {
    for (int i = 0; i < 100; i++) {
        try {
            new URL("http://127.0.0.1:${registryPort}/v2/").text
            break
        } catch (IOException e) {
            Thread.sleep(100)
        }
    }
    def deploy = ["${System.getProperty('maven.home')}/bin/mvn".toString(), '-B', '-q',
                  "-Dmaven.repo.local=${localRepositoryPath}".toString(), '-Pstaging',
                  "-Darchcore.registry=127.0.0.1:${registryPort}".toString(), '-Darchcore.registry.insecure=true',
                  // no cluster here (it/projects/cluster-deploy has one): push only, without the update window
                  '-Darchcore.cluster=', 'package', 'archcore:push']
    def settings = new File(basedir.parentFile, 'interpolated-it-settings.xml')
    if (settings.exists()) {
        deploy += ['-s', settings.path]
    }
    ok(demo, deploy, ['GIT_CEILING_DIRECTORIES': basedir.parentFile.path, 'HGRCPATH': '/dev/null'])
    String pushed = new File(demo, 'target/archcore/push.digest').text.trim()
    assert pushed == new File(demo, 'target/archcore/image.digest').text.trim()
    def remote = ok(demo, ['skopeo', 'inspect', '--tls-verify=false',
                           "docker://127.0.0.1:${registryPort}/demo:r2.${hash}-1".toString()])
    assert remote.contains(pushed) : "the registry has another digest than archcore pushed:\n${remote}"
} finally {
    registry.destroy()
}

// 5. under Mercurial: r<local revision>.<short id>
File hgDemo = new File(basedir, 'demo-hg')
ok(basedir, ['cp', '-r', demo.path, hgDemo.path])
ok(hgDemo, ['rm', '-rf', '.git', 'target'])
def hgEnv = ['HGRCPATH': '/dev/null', 'HGUSER': 'IT <it@example.invalid>']
ok(hgDemo, ['hg', 'init'], hgEnv)
ok(hgDemo, ['hg', 'commit', '-q', '-A', '-m', 'first', '-d', '2026-01-01 00:00 +0000'], hgEnv)
String hgId = ok(hgDemo, ['hg', 'identify', '-i', '-r', '.'], hgEnv).trim()
mvn(hgDemo)
assert packages(hgDemo)*.name == ["demo-r0.${hgId}-1-x86_64.pkg.tar.zst".toString()]
return true
