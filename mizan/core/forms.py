from django.forms.renderers import TemplatesSetting


class FormRenderer(TemplatesSetting):
    """Each field in its own block (spacing, error highlight), rendered with the
    project's templates."""

    field_template_name = "includes/field.html"
