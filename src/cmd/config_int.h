/*
 * config_int: helpers shared by config.c and config_table.c only.
 */
#ifndef AG_CONFIG_INT_H
#define AG_CONFIG_INT_H

#include <stdbool.h>

/* Longest part of a user's value quoted in a message, and the buffer size
 * config_quote needs. */
#define CONFIG_QUOTE_MAX 96
#define CONFIG_QUOTE_BUF (CONFIG_QUOTE_MAX + 16)

/* A user's value in double quotes, control bytes escaped, cut at
 * CONFIG_QUOTE_MAX bytes (never inside a UTF-8 character); returns out. */
const char *config_quote(const char *v, char out[CONFIG_QUOTE_BUF]);
/* v as Go's strconv.ParseBool reads it into *out; -1 for other text. */
int config_bool_parse(const char *v, bool *out);
/* The value of name in envp, or NULL. */
const char *config_env_get(char *const envp[], const char *name);

#endif
