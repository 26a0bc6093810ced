from django.contrib.admin.apps import AdminConfig


class MizanAdminConfig(AdminConfig):
    """The admin, with a site that requires the staff second factor."""

    default_site = "mizan.core.admin_site.MizanAdminSite"
