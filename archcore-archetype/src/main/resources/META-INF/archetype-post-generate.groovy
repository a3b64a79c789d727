// Runs after generation (archetype:generate and the archetype IT). The archetype's validationRegex is
// only applied to interactive answers, so the batch-mode values are checked here.
def props = request.properties
def artifactId = request.artifactId
def problems = []
// the artifactId is the pacman package name (PKGBUILD pkgname)
if (!(artifactId ==~ /[a-z0-9@_+][a-z0-9@._+-]*/)) {
    problems << "artifactId '${artifactId}' is not a valid pacman package name (PKGBUILD pkgname): use lowercase " +
                "letters, digits and @ . _ + - only, not starting with - or ."
}
def port = props.getProperty('appPort')
if (!(port ==~ /[0-9]{1,5}/) || (port as int) < 1 || (port as int) > 65535) {
    problems << "appPort '${port}' is not a TCP port (1-65535)"
}
if (problems) {
    def dir = new File(request.outputDirectory, artifactId)
    throw new IllegalArgumentException(problems.join('; ') + ". Delete ${dir} and generate again.")
}
