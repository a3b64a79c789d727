// Judges `mvn archcore:iso` (as typed: the staging profile is active by default) on a generated project: every
// host's cloud-config, Ignition (accepted by ignition-validate) and config-drive ISO (read back with isoinfo and
// blkid), the PKI kept outside the project, a second run giving the same bytes, a loosened template failing while
// the previous files stay, and -Pproduction switching the addresses.
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
    assert text.contains('FLEET_ETCD_SERVERS=https://192.0.2.10:2479')
    assert text.contains('FLEET_ETCD_CERTFILE=/etc/archcore/fleet/etcd-client.crt')
    assert text.contains('ListenStream=2222')
    assert text.contains('ARCHCORE_APP=cluster')
    // (a bcrypt hash has '$' too: look for the template's placeholder names)
    assert !(text =~ /\$\{?(HOSTNAME|SSH_|ETCD_|REGISTRY|APP_|CA_CERT)/).find() : "${host}: a placeholder is left"
    def v = run(cluster, ['ignition-validate', ign.path])
    assert v.code == 0 && v.out.trim().isEmpty() : "ignition-validate ${ign}: ${v.out}"
    assert ign.text.contains('"version":"3.3.0"')
}
assert new File(out, 'cloud-config/registry.yaml').text.contains('REGISTRY_AUTH=htpasswd')

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
// a worker holds fleet's etcd client key only (owner-only files), never the registry's or etcd's
File pkiDir = new File(home, '.archcore/cluster/staging/pki') // the default archcore.pkiDirectory (per environment)
def keyLine = { String name -> new File(pkiDir, name).readLines()[1] }
String slave = new File(out, 'cloud-config/slave.yaml').text
assert slave.contains(keyLine('etcd-fleet.key')) && !slave.contains(keyLine('registry.key')) && !slave.contains(keyLine('etcd.key'))
assert !slave.contains(keyLine('etcd-archcore.key'))
assert java.nio.file.Files.getPosixFilePermissions(new File(out, 'cloud-config/slave.yaml').toPath()) ==
        java.nio.file.attribute.PosixFilePermissions.fromString('rw-------')
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
// etcd's server certificate (the master's address and loopback) and the two client certificates, from the same CA
ok(pki, ['openssl', 'verify', '-CAfile', 'ca.crt', 'etcd.crt', 'etcd-fleet.crt', 'etcd-archcore.crt'])
String etcdSan = ok(pki, ['openssl', 'x509', '-in', 'etcd.crt', '-noout', '-ext', 'subjectAltName,extendedKeyUsage'])
assert etcdSan.contains('IP Address:192.0.2.10') && etcdSan.contains('IP Address:127.0.0.1') && etcdSan.contains('TLS Web Server Authentication')
assert ok(pki, ['openssl', 'x509', '-in', 'etcd-fleet.crt', '-noout', '-ext', 'extendedKeyUsage']).contains('TLS Web Client Authentication')
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
// -Pproduction turns the default staging profile off: the production addresses
template.text = template.text.replace('PasswordAuthentication yes', 'PasswordAuthentication no')
ok(cluster, cmd + ['-Pproduction'])
String production = new File(out, 'cloud-config/slave.yaml').text
assert production.contains('FLEET_ETCD_SERVERS=https://198.51.100.10:2479') && !production.contains('192.0.2.10')
return true
