// What the three builds sent: the dry run nothing, the first run the master then two workers (whose user data
// has the master's address), the second run only the listing.
import groovy.json.JsonSlurper

def key = 'archcore.it.digitalocean.' + basedir.canonicalPath
def sim = System.getProperties().remove(key)
assert sim != null : 'prebuild.groovy did not start the simulator'
try {
    def calls = sim.calls()
    def token = 'dop_v1_it0123456789abcdef'
    calls.each { c -> assert c.header('Authorization') == "Bearer ${token}".toString() }

    def lists = calls.findAll { it.method() == 'GET' && it.path() == '/v2/droplets' }
    def posts = calls.findAll { it.method() == 'POST' && it.path() == '/v2/droplets' }
    // run 1 (dry run) sent nothing, run 2 listed once and created three, run 3 listed once and created nothing
    assert lists.size() == 2 : calls.collect { it.method() + ' ' + it.path() }
    assert posts.size() == 3
    assert calls.last().path() == '/v2/droplets' && calls.last().method() == 'GET'

    def slurp = new JsonSlurper()
    def bodies = posts.collect { slurp.parseText(it.body()) }
    assert bodies*.name == ['demo-master', 'demo-worker-1', 'demo-worker-2']
    posts.each { assert it.header('Content-Type').startsWith('application/json') }
    bodies.each { b ->
        assert b.region == 'fra1' && b.image == 'ubuntu-24-04-x64'
        assert b.ssh_keys == [512190, '3b:16:bf:e4:8b:00:8b:b8:59:8c:a9:d3:f0:19:45:fa']
        assert b.tags == ['archcore-provision-demo']
    }
    assert bodies[2].size == 's-2vcpu-4gb' && bodies[1].size == 's-1vcpu-2gb'

    def master = sim.droplets().find { it.get('name').asText() == 'demo-master' }
    def masterIp = master.get('networks').get('v4').find { it.get('type').asText() == 'public' }.get('ip_address').asText()
    assert bodies[0].user_data == new File(basedir, 'cloud-config/demo-master.yaml').text
    for (i in 1..2) {
        def file = new File(basedir, "cloud-config/${bodies[i].name}.yaml").text
        assert bodies[i].user_data == file.replace('$REGISTRY_IP', masterIp)
        assert bodies[i].user_data.contains("http://${masterIp}:2379")
    }
    // the master was active before the first worker was created
    def firstWorker = calls.indexOf(posts[1])
    assert calls.subList(0, firstWorker).any { it.path() == "/v2/droplets/${master.get('id').asLong()}".toString() }

    def nodes = slurp.parse(new File(basedir, 'target/archcore/nodes.json'))
    assert nodes.tag == 'archcore-provision-demo'
    assert nodes.nodes*.name == ['demo-master', 'demo-worker-1', 'demo-worker-2']
    assert nodes.nodes*.status == ['active', 'active', 'active']
    assert nodes.nodes[0].public_ipv4 == masterIp

    def log = new File(basedir, 'build.log').text
    assert !log.contains(token)
    assert log.contains('Dry run: these requests would be sent') && log.contains('Authorization: Bearer ****')
    assert log.contains('Nothing created: all 3 node(s) existed')
} finally {
    sim.close()
}
return true
