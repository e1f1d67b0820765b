#!/bin/sh
# labkit/wordpress's entrypoint. It writes /etc/wordpress/config-default.php (the file Debian's
# wp-config.php reads) from WORDPRESS_DB_HOST, _USER, _PASSWORD and _NAME, as the official image
# reads the same variables, then apache2 replaces this script as PID 1 in the foreground.
# Any other command (`bash`, `cat ...`) runs as given.
set -eu

case "${1:-}" in
    apache2|apache2ctl) ;;
    *) exec "$@" ;;
esac

config=/etc/wordpress/config-default.php
# PHP single-quoted strings: a backslash or a quote in a value must not end the string.
php() { printf "'%s'" "$(printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e "s/'/\\\\'/g")"; }
salt() { head -c 48 /dev/urandom | base64 -w 0; }

if [ ! -e "$config" ]; then  # once per container: its salts survive a restart
    cat > "$config" <<PHP
<?php
/* Written by labkit/wordpress's entrypoint from the container's environment. */
define('DB_NAME', $(php "${WORDPRESS_DB_NAME:-wordpress}"));
define('DB_USER', $(php "${WORDPRESS_DB_USER:-wordpress}"));
define('DB_PASSWORD', $(php "${WORDPRESS_DB_PASSWORD:-}"));
define('DB_HOST', $(php "${WORDPRESS_DB_HOST:-mysql}"));
define('DB_CHARSET', 'utf8mb4');
define('DB_COLLATE', '');
\$table_prefix = $(php "${WORDPRESS_TABLE_PREFIX:-wp_}");

define('AUTH_KEY', '$(salt)');
define('SECURE_AUTH_KEY', '$(salt)');
define('LOGGED_IN_KEY', '$(salt)');
define('NONCE_KEY', '$(salt)');
define('AUTH_SALT', '$(salt)');
define('SECURE_AUTH_SALT', '$(salt)');
define('LOGGED_IN_SALT', '$(salt)');
define('NONCE_SALT', '$(salt)');

/* The course's network rule: WordPress never reaches for api.wordpress.org or anything else
   outside (update checks, translations, plugin and theme directories, pseudo-cron). */
define('WP_HTTP_BLOCK_EXTERNAL', true);
define('AUTOMATIC_UPDATER_DISABLED', true);
define('DISABLE_WP_CRON', true);
define('WP_DEBUG', false);
define('WP_CONTENT_DIR', '/var/lib/wordpress/wp-content');
PHP
    chown root:www-data "$config"
    chmod 0640 "$config"
fi

# Debian's apache2 reads its users and folders from envvars; /run and the lock folder are empty
# in a new container.
set +u  # envvars reads variables that may be unset (APACHE_CONFDIR)
. /etc/apache2/envvars
set -u
mkdir -p "$APACHE_RUN_DIR" "$APACHE_LOCK_DIR" "$APACHE_LOG_DIR"
if [ "$1" = apache2ctl ]; then
    shift
    set -- apache2 "$@"
fi
exec "$@"
