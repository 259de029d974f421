"""Forms of the citizen-service pages: finding a citizen by CPR number, granting an exemption."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from digitalpost.core.errors import DigitalPostError
from digitalpost.core.parties import IdType, normalise_party_id
from digitalpost.hub.webforms import PowerScopeForm
from digitalpost.registry.models import Exemption

REASON_LABELS = {
    Exemption.Reason.COGNITIVE: _("Cognitive impairment"),
    Exemption.Reason.PHYSICAL: _("Physical disability"),
    Exemption.Reason.NO_ACCESS: _("No access to a computer or the internet"),
    Exemption.Reason.NO_MITID: _("Cannot get MitID"),
    Exemption.Reason.ABROAD: _("Lives abroad"),
    Exemption.Reason.LANGUAGE: _("Language difficulties"),
    Exemption.Reason.OTHER: _("Other reason (describe it in the note)"),
}


class FindCitizenForm(forms.Form):
    cpr = forms.CharField(label=_("CPR number"), max_length=11, help_text=_("10 digits, with or without the dash."))

    def clean_cpr(self) -> str:
        try:
            return normalise_party_id(IdType.CPR, self.cleaned_data["cpr"])
        except DigitalPostError:
            raise forms.ValidationError(_("Not a CPR number: give 10 digits, e.g. 010180-1234.")) from None


class ExemptionForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=list(REASON_LABELS.items()))
    starts_on = forms.DateField(label=_("Exempt from"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("Exempt until (last day)"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"}),
                              help_text=_("Leave empty for an exemption until it is ended."))
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                           help_text=_("Required when the reason is 'other'. Never write health details here."))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["starts_on"].initial = timezone.localdate()


class FindCompanyForm(forms.Form):
    cvr = forms.CharField(label=_("CVR number"), max_length=8, help_text=_("8 digits."))

    def clean_cvr(self) -> str:
        try:
            return normalise_party_id(IdType.CVR, self.cleaned_data["cvr"])
        except DigitalPostError:
            raise forms.ValidationError(_("Not a CVR number: give 8 digits.")) from None


class CompanyAdministratorForm(forms.Form):
    """Citizen service appoints a company's mailbox administrator (who then gives the employees their rights)."""

    employee_id = forms.CharField(label=_("The person's MitID Erhverv identity (UUID)"), max_length=200)
    employee_name = forms.CharField(label=_("Name"), max_length=200)


class PowerOfAttorneyForm(PowerScopeForm):
    """Citizen service registers a power of attorney for a citizen who cannot give it in the mailbox themself: for
    the whole mailbox or the citizen's folders ticked (PowerScopeForm)."""

    field_order = ["holder_cpr", "level", "starts_on", "ends_on", "scope", "folders", "reason"]

    holder_cpr = forms.CharField(label=_("The holder's CPR number"), max_length=11,
                                 help_text=_("10 digits, with or without the dash. The holder must have Digital Post."),
                                 widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}))
    level = forms.ChoiceField(label=_("Access"), widget=forms.RadioSelect, initial="READ",
                              choices=[("READ", _("Read letters and conversations")),
                                       ("READ_WRITE", _("Read, write, answer and forward"))])
    starts_on = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    ends_on = forms.DateField(label=_("Until (last day)"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                              help_text=_("Leave empty for a power of attorney until it is ended."))
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=_("Why citizen service registers it (kept in the audit log). "
                                         "Never write health details here."))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["starts_on"].initial = timezone.localdate()
