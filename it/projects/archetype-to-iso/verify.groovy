// Judges `mvn archcore:iso` (as typed: the staging profile is active by default, archcore.fleetHash empty) on a
// generated project: every host's cloud-config, Ignition (accepted by ignition-validate) and config-drive ISO (read
// back with isoinfo and blkid), without fleet and with the warning that says so, the PKI kept outside the project,
// a second run giving the same bytes, a loosened template failing while the previous files stay, a run with a
// fleet pin bringing fleet's units, and -Pproduction switching the addresses.
import java.security.MessageDigest

File cluster = new File(basedir, 'cluster')
File out = new File(cluster, 'target/archcore')

File home = new File(basedir, 'home') // the build's user.home (invoker.properties)
def run = { File dir, List<String> cmd ->
    def pb = new ProcessBuilder(cmd).directory(dir).redirectErrorStream(true)
    pb.environment().put('MAVEN_OPTS', "-Duser.home=${home}".toString())
    def p = pb.start()
    def text = p.inputStream.text
    [code: p.waitFor(), out: text]
}
def ok = { File dir, List<String> cmd ->
    def r = run(dir, cmd)
    assert r.code == 0 : "${cmd.join(' ')} exited ${r.code}:\n${r.out}"
    r.out
}
def sha256 = { File f -> MessageDigest.getInstance('SHA-256').digest(f.bytes).encodeHex().toString() }

String key = new File(home, '.ssh/id_ed25519.pub').text.trim()
// fleet's release tarball is not pinned in a new project: the node files carry no fleet, and the build said why
// and how to pin it, once
String log = new File(basedir, 'build.log').text
assert log.count('The node files carry no fleet') == 1 : log
String warning = log.readLines().find { it.contains('The node files carry no fleet') }
assert warning.startsWith('[WARNING] ') : warning
['archcore.fleetHash', 'user_data.registry.yaml', 'user_data.slave.yaml', 'archcore.deploy.target=systemd',
 'download https://github.com/coreos/fleet/releases/download/v1.0.0/fleet-v1.0.0-linux-amd64.tar.gz',
 'set archcore.fleetHash=sha512-'].each { assert warning.contains(it) : "the warning lacks ${it}: ${warning}" }
def fleetUnits = ['fleet-install.service', 'fleet.socket', 'fleet.service']
def fleetFiles = ['/etc/archcore/fleet/ca.crt', '/etc/archcore/fleet/etcd-client.crt', '/etc/archcore/fleet/etcd-client.key',
                  '/etc/sysusers.d/archcore-fleet.conf', '/opt/archcore/downloads/fleet-v1.0.0-linux-amd64.tar.gz']
def hosts = ['registry', 'slave'] // the master and the default worker (archcore.workers)
hosts.each { host ->
    File yaml = new File(out, "cloud-config/${host}.yaml")
    File ign = new File(out, "cloud-config/${host}.ign")
    assert yaml.isFile() && ign.isFile() : "missing node files for ${host}"
    String text = yaml.text
    assert text.startsWith('#cloud-config\n')
    assert text.contains("hostname: ${host}")
    assert text.contains("- \"${key}\"")
    // the staging profile's registry and master address, the pom's ports
    assert text.contains('/etc/docker/certs.d/192.0.2.10:5443/ca.crt')
    assert text.contains('ListenStream=2222')
    assert text.contains('ARCHCORE_APP=cluster')
    // (a bcrypt hash has '$' too: look for the template's placeholder names)
    assert !(text =~ /\$\{?(HOSTNAME|SSH_|ETCD_|REGISTRY|APP_|CA_CERT)/).find() : "${host}: a placeholder is left"
    def v = run(cluster, ['ignition-validate', ign.path])
    assert v.code == 0 && v.out.trim().isEmpty() : "ignition-validate ${ign}: ${v.out}"
    assert ign.text.contains('"version":"3.3.0"')
    // no fleet: none of its units, none of its files, no tarball for Ignition to fetch, no marker line left
    fleetUnits.each { assert !text.contains("- name: ${it}") : "${host}: ${it} without a pin" }
    assert !text.contains('fleetd') && !text.contains('FLEET_') && !text.contains('fleet-v1.0.0') && !text.contains('archcore:begin')
    def json = new groovy.json.JsonSlurper().parseText(ign.text)
    def units = json.systemd.units.collect { it.name } as Set
    assert units.intersect(fleetUnits).isEmpty() : "${host}: ${units}"
    def paths = json.storage.files.collect { it.path } as Set
    assert paths.intersect(fleetFiles).isEmpty() : "${host}: ${paths}"
    assert paths.contains('/etc/archcore/cluster.env') && units.contains('sshd.socket')
    // the master's etcd (its own pinned tarball, fetched by Ignition) and registry stay
    assert units.containsAll(['etcd-install.service', 'etcd-member.service', 'archcore-registry.service',
                              'archcore-registry-push.service']) == (host == 'registry')
    assert paths.contains('/opt/archcore/downloads/etcd-v3.5.21-linux-amd64.tar.gz') == (host == 'registry')
}
// the master's registry image pinned by digest (Docker Hub's registry 2.8.3 image index)
assert new File(out, 'cloud-config/registry.yaml').text.contains(' docker.io/library/registry:2.8.3@sha256:a3d8aaa63ed8681a604f1dea0aa03f100d5895b6a58ace528858a7b332415373\n')
assert new File(out, 'cloud-config/registry.yaml').text.contains('REGISTRY_AUTH=htpasswd')
// the nodes' pull login is accepted only by the read-only side; the push side listens on the master's 127.0.0.1 only
def masterYaml = new File(out, 'cloud-config/registry.yaml').text
assert masterYaml.contains('REGISTRY_AUTH_HTPASSWD_PATH=/certs/htpasswd-pull -e \'REGISTRY_STORAGE_MAINTENANCE={"readonly": {"enabled": true}')
assert masterYaml.contains('-p 127.0.0.1:5444:5000 ') && masterYaml.contains('REGISTRY_AUTH_HTPASSWD_PATH=/certs/htpasswd-push ')

// the config-drive ISOs: label config-2, Rock Ridge and Joliet, exactly the rendered user data inside
hosts.each { host ->
    File iso = new File(out, "iso/${host}-config.iso")
    assert iso.isFile() : "missing ${iso}"
    String pvd = ok(cluster, ['isoinfo', '-d', '-i', iso.path])
    assert pvd =~ /(?m)^Volume id: config-2$/ : pvd
    assert pvd.contains('Rock Ridge signatures version') && pvd.contains('Joliet') : pvd
    String blkid = ok(cluster, ['blkid', iso.path])
    assert blkid.contains('LABEL="config-2"') && blkid.contains('TYPE="iso9660"') : blkid
    assert ok(cluster, ['isoinfo', '-R', '-l', '-i', iso.path]).contains('user_data')
    def p = new ProcessBuilder(['isoinfo', '-R', '-i', iso.path, '-x', '/openstack/latest/user_data']).start()
    byte[] userData = p.inputStream.bytes
    assert p.waitFor() == 0
    assert userData == new File(out, "cloud-config/${host}.yaml").bytes : "${host}: the ISO's user_data differs from ${host}.yaml"
}
// without fleet a worker holds no private key at all (fleet's etcd client key was its only one): 0644
File pkiDir = new File(home, '.archcore/cluster/staging/pki') // the default archcore.pkiDirectory (per environment)
def keyLine = { String name -> new File(pkiDir, name).readLines()[1] }
String slave = new File(out, 'cloud-config/slave.yaml').text
assert !slave.contains('PRIVATE KEY')
assert java.nio.file.Files.getPosixFilePermissions(new File(out, 'cloud-config/slave.yaml').toPath()) ==
        java.nio.file.attribute.PosixFilePermissions.fromString('rw-r--r--')
String registryYaml = new File(out, 'cloud-config/registry.yaml').text
assert registryYaml.contains('ETCD_CLIENT_CERT_AUTH=true') && registryYaml.contains('ETCD_LISTEN_CLIENT_URLS=https://192.0.2.10:2479,https://127.0.0.1:2479')
assert !registryYaml.contains(keyLine('etcd-archcore.key'))
// the master's registry and etcd keys and htpasswd reach it over SSH at the first update, never in user data
assert !registryYaml.contains(keyLine('registry.key')) && !registryYaml.contains(keyLine('etcd.key'))
new File(pkiDir, 'htpasswd').readLines().each { assert !registryYaml.contains(it.substring(it.indexOf(':') + 1)) }

// the PKI: made in the user's ~/.archcore/<artifactId>/<environment>/pki, the registry certificate for the staging address
// and name, signed by the CA
File pki = pkiDir
ok(pki, ['openssl', 'verify', '-CAfile', 'ca.crt', 'registry.crt'])
String san = ok(pki, ['openssl', 'x509', '-in', 'registry.crt', '-noout', '-ext', 'subjectAltName'])
assert san.contains('IP Address:192.0.2.10') && san.contains('DNS:registry.staging.example.invalid')
// etcd's server certificate (the master's address and loopback) and archcore's client certificate, from the same
// CA; fleet's are one per node, issued when the update window sends them, so archcore:iso makes none
ok(pki, ['openssl', 'verify', '-CAfile', 'ca.crt', 'etcd.crt', 'etcd-archcore.crt'])
String etcdSan = ok(pki, ['openssl', 'x509', '-in', 'etcd.crt', '-noout', '-ext', 'subjectAltName,extendedKeyUsage'])
assert etcdSan.contains('IP Address:192.0.2.10') && etcdSan.contains('IP Address:127.0.0.1') && etcdSan.contains('TLS Web Server Authentication')
assert ok(pki, ['openssl', 'x509', '-in', 'etcd-archcore.crt', '-noout', '-ext', 'extendedKeyUsage']).contains('TLS Web Client Authentication')
assert !new File(pki, 'etcd-fleet.key').exists()
assert !new File(cluster, 'pki').exists()

// a second run reuses the PKI and gives the same bytes
def digests = { String h -> ["cloud-config/${h}.yaml", "cloud-config/${h}.ign", "iso/${h}-config.iso"].collect { sha256(new File(out, it)) }.join(' ') }
def before = hosts.collectEntries { [(it): digests(it)] }
def settings = new File(basedir.parentFile, 'interpolated-it-settings.xml')
def cmd = ["${System.getProperty('maven.home')}/bin/mvn".toString(), '-B', '-q', "-Dmaven.repo.local=${localRepositoryPath}".toString(),
           'archcore:iso']
if (settings.exists()) {
    cmd += ['-s', settings.path]
}
ok(cluster, cmd)
hosts.each { host ->
    assert digests(host) == before[host] : "${host}: a second run wrote other bytes"
}

// a loosened template fails the build with the template's line and the opt-out's name
File template = new File(cluster, 'cloud-config/user_data.slave.yaml')
template.text = template.text.replace('PasswordAuthentication no', 'PasswordAuthentication yes')
def failed = run(cluster, cmd - ['-q'])
assert failed.code != 0
assert failed.out.contains('user_data.slave.yaml (rendered for slave) loosens the lock-down') : failed.out
assert failed.out.contains('archcore.allowPasswordLogin=true') : failed.out
// ...and leaves the previous good files
hosts.each { host ->
    assert digests(host) == before[host]
}
template.text = template.text.replace('PasswordAuthentication yes', 'PasswordAuthentication no')

// with a pin (a value of the right form, not fleet's real hash, which could not be computed here): fleet v1.0.0
// brought by the node files, installed from the pinned release tarball, which Ignition fetches itself and checks
// against the same pin; fleet's own units, the API on the Unix socket only; and no warning
String fleetHash = 'sha512-98cd0b49e899bc825c138fc9db4ddf2dbd35fdf446dab5e8a7772240e8807989656720a2464c953590994c711ff13a747233dffbadee4f99242e98818c37fa4e'
def pinned = run(cluster, cmd - ['-q'] + ["-Darchcore.fleetHash=${fleetHash}".toString()])
assert pinned.code == 0 : pinned.out
assert !pinned.out.contains('The node files carry no fleet') : pinned.out
hosts.each { host ->
    String text = new File(out, "cloud-config/${host}.yaml").text
    File ign = new File(out, "cloud-config/${host}.ign")
    fleetUnits.each { assert text.contains("- name: ${it}") : "${host}: no ${it}" }
    assert text.contains("ARCHCORE_FETCH_HASH=${fleetHash}") && text.contains('ExecStart=/opt/bin/fleetd')
    assert text.contains('ListenStream=/var/run/fleet.sock') && text.contains('SocketGroup=fleet')
    assert text.contains('FLEET_ETCD_SERVERS=https://192.0.2.10:2479')
    assert text.contains('FLEET_ETCD_CERTFILE=/etc/archcore/fleet/etcd-client.crt')
    assert !text.contains('archcore:begin') && !text.contains('archcore:end')
    def v = run(cluster, ['ignition-validate', ign.path])
    assert v.code == 0 && v.out.trim().isEmpty() : "ignition-validate ${ign}: ${v.out}"
    def json = new groovy.json.JsonSlurper().parseText(ign.text)
    def fetched = json.storage.files.find { it.path == '/opt/archcore/downloads/fleet-v1.0.0-linux-amd64.tar.gz' }
    assert fetched?.contents?.source == 'https://github.com/coreos/fleet/releases/download/v1.0.0/fleet-v1.0.0-linux-amd64.tar.gz'
    assert fetched.contents.verification.hash == fleetHash
    def units = json.systemd.units.collect { it.name } as Set
    assert units.containsAll(fleetUnits)
    assert units.containsAll(['etcd-install.service', 'etcd-member.service', 'archcore-registry.service',
                              'archcore-registry-push.service']) == (host == 'registry')
}
// with fleet, a worker's files still hold no private key (fleet's comes over SSH when an update starts)
slave = new File(out, 'cloud-config/slave.yaml').text
assert slave.contains('ConditionPathExists=/etc/archcore/fleet/etcd-client.key') && !slave.contains('PRIVATE KEY')
assert !slave.contains(keyLine('registry.key')) && !slave.contains(keyLine('etcd.key')) && !slave.contains(keyLine('etcd-archcore.key'))
assert java.nio.file.Files.getPosixFilePermissions(new File(out, 'cloud-config/slave.yaml').toPath()) ==
        java.nio.file.attribute.PosixFilePermissions.fromString('rw-r--r--')
// a pin that is not a hash is refused, naming the template and the property
def malformed = run(cluster, cmd - ['-q'] + ['-Darchcore.fleetHash=sha512-abc'])
assert malformed.code != 0 && malformed.out.contains("'sha512-abc' is not sha512- followed by 128 lower-case hex digits") : malformed.out

// -Pproduction turns the default staging profile off: the production addresses
ok(cluster, cmd + ['-Pproduction', "-Darchcore.fleetHash=${fleetHash}".toString()])
String production = new File(out, 'cloud-config/slave.yaml').text
assert production.contains('FLEET_ETCD_SERVERS=https://198.51.100.10:2479') && !production.contains('192.0.2.10')
return true
