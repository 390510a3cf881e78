/*
 * kubeconfig: where the controller finds its API server and credentials.
 *
 * kube_config_resolve() follows controller-runtime's order: the --kubeconfig
 * flag, else the first file of $KUBECONFIG, else in-cluster (when
 * KUBERNETES_SERVICE_HOST is set), else ~/.kube/config. A kubeconfig file is
 * read with the current context or a named one (--kube-context): cluster
 * server, certificate-authority (file, relative to the kubeconfig's
 * directory) or certificate-authority-data (base64), insecure-skip-tls-verify,
 * tls-server-name; user client-certificate/-key (file or -data), token or
 * tokenFile; context namespace. Authentication the client cannot perform
 * (exec plugins, auth providers, basic auth) is an error naming the field,
 * never a silent anonymous client. Every error names the file and the field:
 *   kubeconfig /x: users[0].user.client-certificate-data: invalid base64
 *
 * In-cluster: https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT, the
 * service account's token file (re-read by the client as it rotates), ca.crt
 * and namespace under a root directory (tests override it).
 *
 * The functions fill a caller's struct kube_config (client.h), which owns
 * its strings afterwards (kube_config_free). Pure apart from reading files;
 * no global state.
 */
#ifndef AG_KUBE_KUBECONFIG_H
#define AG_KUBE_KUBECONFIG_H

#include <stddef.h>

#include "base/err.h"
#include "kube/client.h"

#define KUBE_SA_ROOT "/var/run/secrets/kubernetes.io/serviceaccount"
/* Largest kubeconfig, token file and namespace file accepted. */
#define KUBECONFIG_MAX_BYTES (4u << 20)
#define KUBE_TOKEN_MAX_BYTES (64u << 10)

/* Loads the kubeconfig file at path with context (NULL or "": the file's
 * current-context) into out. */
int kube_config_load_file(struct kube_config *out, const char *path,
    const char *context, struct err *e);

/* Parses kubeconfig YAML (len bytes) that was read from path (used for
 * messages and to resolve relative file names). */
int kube_config_load_buf(struct kube_config *out, const char *path,
    const char *buf, size_t len, const char *context, struct err *e);

/* In-cluster config from host and port (the service env values) and the
 * service account directory root (NULL: KUBE_SA_ROOT). */
int kube_config_in_cluster(struct kube_config *out, const char *host,
    const char *port, const char *root, struct err *e);

/*
 * The order above. flag_path: --kubeconfig (NULL or ""), context:
 * --kube-context, envp: the environment ("NAME=value", NULL-ended; NULL for
 * none) for KUBECONFIG, KUBERNETES_SERVICE_HOST/PORT and HOME; sa_root as
 * for kube_config_in_cluster.
 */
int kube_config_resolve(struct kube_config *out, const char *flag_path,
    const char *context, char *const envp[], const char *sa_root,
    struct err *e);

/* Reads a bearer token file (bounded, surrounding whitespace trimmed) into
 * a malloc'd string; an empty token is an error. */
int kube_token_read(const char *path, char **out, struct err *e);

#endif
