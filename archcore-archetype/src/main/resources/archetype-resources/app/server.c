/*
 * The sample app: a tiny HTTP/1.0 server. It listens on the TCP port given by the environment
 * variable APP_PORT (default APP_DEFAULT_PORT from build/config.h) and answers every GET (and HEAD)
 * with 200 and a one-line text body, "<name> <version>". SIGTERM or SIGINT stops it cleanly, which
 * is what `docker stop` sends (also when it runs as PID 1 in a container, where signals without a
 * handler are ignored).
 *
 * One connection at a time, no threads. It uses no name service (no getaddrinfo, no getpwnam), so
 * the static glibc build needs no NSS modules at run time. Replace it with your own app: keep the
 * Makefile's `all` and `install` targets and the PKGBUILD stays valid.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "config.h" /* APP_NAME, APP_VERSION, APP_DEFAULT_PORT: written by the Makefile */

static volatile sig_atomic_t stopping = 0;

static void on_signal(int sig)
{
    (void) sig;
    stopping = 1;
}

/* The port from APP_PORT, or the default; -1 if APP_PORT is not a port number. */
static int listen_port(void)
{
    const char *value = getenv("APP_PORT");
    if (value == NULL || *value == '\0') {
        return APP_DEFAULT_PORT;
    }
    char *end;
    errno = 0;
    long port = strtol(value, &end, 10);
    if (errno != 0 || *end != '\0' || port < 1 || port > 65535) {
        return -1;
    }
    return (int) port;
}

/* Writes all of buf, retrying after short writes; returns -1 on error. */
static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -1;
        }
        buf += n;
        len -= (size_t) n;
    }
    return 0;
}

/* Reads the request head (up to the empty line, or as much as fits) and answers it. */
static void serve(int client)
{
    char request[4096];
    size_t used = 0;
    while (used < sizeof request - 1) {
        ssize_t n = read(client, request + used, sizeof request - 1 - used);
        if (n <= 0) {
            break; /* closed, timed out or interrupted: answer what we have */
        }
        used += (size_t) n;
        request[used] = '\0';
        if (strstr(request, "\r\n\r\n") != NULL || strstr(request, "\n\n") != NULL) {
            break;
        }
    }
    request[used] = '\0';
    if (used == 0) {
        return;
    }

    static const char body[] = APP_NAME " " APP_VERSION "\n";
    char head[256];
    int head_len;
    int is_get = strncmp(request, "GET ", 4) == 0;
    int is_head = strncmp(request, "HEAD ", 5) == 0;
    if (is_get || is_head) {
        head_len = snprintf(head, sizeof head,
                            "HTTP/1.0 200 OK\r\n"
                            "Content-Type: text/plain; charset=utf-8\r\n"
                            "Content-Length: %zu\r\n"
                            "Connection: close\r\n"
                            "\r\n",
                            sizeof body - 1);
    } else {
        head_len = snprintf(head, sizeof head,
                            "HTTP/1.0 405 Method Not Allowed\r\n"
                            "Allow: GET, HEAD\r\n"
                            "Content-Length: 0\r\n"
                            "Connection: close\r\n"
                            "\r\n");
    }
    if (head_len < 0 || (size_t) head_len >= sizeof head) {
        return;
    }
    if (write_all(client, head, (size_t) head_len) == 0 && is_get) {
        write_all(client, body, sizeof body - 1);
    }
}

int main(void)
{
    int port = listen_port();
    if (port < 0) {
        fprintf(stderr, "%s: APP_PORT must be a port number (1-65535)\n", APP_NAME);
        return 2;
    }

    /*
     * SIGTERM and SIGINT stay blocked except while waiting in pselect(): a request being answered
     * is finished, and a signal can never slip in between the check of `stopping` and the wait.
     */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN); /* a client that goes away must not kill the server */
    sigset_t blocked, waiting;
    sigemptyset(&blocked);
    sigaddset(&blocked, SIGTERM);
    sigaddset(&blocked, SIGINT);
    sigprocmask(SIG_BLOCK, &blocked, &waiting);

    int server = socket(AF_INET, SOCK_STREAM, 0);
    if (server < 0) {
        perror("socket");
        return 1;
    }
    int on = 1;
    setsockopt(server, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);

    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_ANY);
    addr.sin_port = htons((unsigned short) port);
    if (bind(server, (struct sockaddr *) &addr, sizeof addr) < 0) {
        perror("bind");
        return 1;
    }
    if (listen(server, 16) < 0) {
        perror("listen");
        return 1;
    }
    fprintf(stderr, "%s %s listening on port %d\n", APP_NAME, APP_VERSION, port);

    /* non-blocking listener: a connection that vanishes before accept() cannot hang the loop */
    fcntl(server, F_SETFL, fcntl(server, F_GETFL) | O_NONBLOCK);
    while (!stopping) {
        fd_set readable;
        FD_ZERO(&readable);
        FD_SET(server, &readable);
        if (pselect(server + 1, &readable, NULL, NULL, NULL, &waiting) < 0) {
            if (errno == EINTR) {
                continue; /* a signal: `stopping` is set */
            }
            perror("pselect");
            close(server);
            return 1;
        }
        int client = accept(server, NULL, NULL);
        if (client < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNABORTED) {
                continue;
            }
            perror("accept");
            close(server);
            return 1;
        }
        /* a client that sends nothing is dropped after 5 s */
        struct timeval timeout = { .tv_sec = 5, .tv_usec = 0 };
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
        setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
        serve(client);
        close(client);
    }

    close(server);
    fprintf(stderr, "%s stopped\n", APP_NAME);
    return 0;
}
