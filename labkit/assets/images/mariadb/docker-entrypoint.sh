#!/bin/sh
# labkit/mariadb's entrypoint. The first start makes the datadir, then the database, the user and
# root's password from MYSQL_* (or MARIADB_*) variables, as the official mysql and mariadb images
# do; then mariadbd replaces this script as PID 1, so `docker stop` reaches it directly.
# Any other command (`mariadb -h db ...`, `bash`) runs as given.
set -eu

case "${1:-}" in
    mariadbd|mysqld) ;;
    -*) set -- mariadbd "$@" ;;  # options only: for the server
    *) exec "$@" ;;
esac
for arg; do  # a question to the server's binary (`mariadbd --version`) needs no datadir
    case "$arg" in
        -V|--version|--help|-\?|--print-defaults) exec "$@" ;;
    esac
done

datadir=/var/lib/mysql
root_password=${MARIADB_ROOT_PASSWORD:-${MYSQL_ROOT_PASSWORD:-}}
database=${MARIADB_DATABASE:-${MYSQL_DATABASE:-}}
user=${MARIADB_USER:-${MYSQL_USER:-}}
password=${MARIADB_PASSWORD:-${MYSQL_PASSWORD:-}}

# SQL literals: a backslash or a quote in a value must not end the string.
literal() { printf "'%s'" "$(printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e "s/'/\\\\'/g")"; }
identifier() { printf '`%s`' "$(printf '%s' "$1" | sed -e 's/`/``/g')"; }

install -d -o mysql -g mysql -m 0755 /run/mysqld
chown mysql:mysql "$datadir"

if [ ! -d "$datadir/mysql" ]; then
    if [ -z "$root_password" ]; then
        echo "labkit/mariadb: the database is not initialised and no root password is set;" >&2
        echo "give one with -e MYSQL_ROOT_PASSWORD=... (or MARIADB_ROOT_PASSWORD)" >&2
        exit 1
    fi
    if [ -n "$user" ] && [ -z "$password" ]; then
        echo "labkit/mariadb: MYSQL_USER=$user needs MYSQL_PASSWORD as well" >&2
        exit 1
    fi
    echo "labkit/mariadb: first start, initialising $datadir"
    # --cross-bootstrap, as Debian's postinst runs it: no lookup of the container's host name.
    if ! out=$(mariadb-install-db --user=mysql --datadir="$datadir" --skip-test-db \
            --skip-name-resolve --cross-bootstrap --auth-root-authentication-method=socket 2>&1)
    then
        printf '%s\n' "$out" >&2
        exit 1
    fi
    # A server on the socket only (no TCP yet): nobody connects before the accounts exist.
    mariadbd --user=mysql --datadir="$datadir" --skip-networking \
        --socket=/run/mysqld/init.sock &
    pid=$!
    tries=0
    until mariadb-admin --socket=/run/mysqld/init.sock --silent ping > /dev/null 2>&1; do
        tries=$((tries + 1))
        if [ "$tries" -gt 300 ] || ! kill -0 "$pid" 2> /dev/null; then
            echo "labkit/mariadb: the server did not start for the first setup" >&2
            exit 1
        fi
        sleep 0.1
    done
    {
        echo "CREATE USER 'root'@'%' IDENTIFIED BY $(literal "$root_password");"
        echo "GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;"
        if [ -n "$database" ]; then
            echo "CREATE DATABASE IF NOT EXISTS $(identifier "$database");"
        fi
        if [ -n "$user" ]; then
            echo "CREATE USER $(literal "$user")@'%' IDENTIFIED BY $(literal "$password");"
            if [ -n "$database" ]; then
                echo "GRANT ALL ON $(identifier "$database").* TO $(literal "$user")@'%';"
            fi
        fi
        # Last: from here on root needs its password on the socket too.
        echo "ALTER USER 'root'@'localhost' IDENTIFIED BY $(literal "$root_password");"
    } | mariadb --socket=/run/mysqld/init.sock -uroot
    kill "$pid"
    wait "$pid" || true
    echo "labkit/mariadb: database ${database:-(none)}, user ${user:-(none)}, root password set"
fi

exec "$@" --user=mysql
