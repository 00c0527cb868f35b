// OpenLDAP's client library (Debian: libldap-dev), for the LDAP user store.
#ifndef PORTCULLIS_CLDAP_SHIM_H
#define PORTCULLIS_CLDAP_SHIM_H
#include <ldap.h>
#endif
