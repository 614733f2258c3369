package open311

import (
	"encoding/xml"
	"fmt"
	"strings"

	"banchengshi/cases"
)

// The GeoReport v2 documents, each with its JSON and XML names. JSON answers
// are arrays of these; XML answers wrap them in the root element the
// specification names (see the *XML types).

// ServiceInfo is one service of GET services: a category of the directory.
type ServiceInfo struct {
	XMLName     xml.Name `json:"-" xml:"service"`
	ServiceCode string   `json:"service_code" xml:"service_code"`
	ServiceName string   `json:"service_name" xml:"service_name"`
	Description string   `json:"description" xml:"description"`
	Metadata    bool     `json:"metadata" xml:"metadata"`
	Type        string   `json:"type" xml:"type"` // always realtime: the case number is known at once
	Keywords    string   `json:"keywords" xml:"keywords"`
	Group       string   `json:"group" xml:"group"`
}

// ServicesXML is the XML root of GET services.
type ServicesXML struct {
	XMLName  xml.Name      `xml:"services"`
	Services []ServiceInfo `xml:"service"`
}

// ServiceDefinition is GET services/{code}: the attributes a service asks for.
type ServiceDefinition struct {
	XMLName     xml.Name    `json:"-" xml:"service_definition"`
	ServiceCode string      `json:"service_code" xml:"service_code"`
	Attributes  []Attribute `json:"attributes" xml:"attributes>attribute"`
}

// Attribute is a service's extra question; the bureau's services have none.
type Attribute struct {
	Code string `json:"code" xml:"code"`
}

// Created is the answer to POST requests: the case number, at once.
type Created struct {
	XMLName          xml.Name `json:"-" xml:"request"`
	ServiceRequestID string   `json:"service_request_id" xml:"service_request_id"`
	ServiceNotice    string   `json:"service_notice" xml:"service_notice"`
	AccountID        *string  `json:"account_id" xml:"account_id"`
}

// CreatedXML is the XML root of POST requests.
type CreatedXML struct {
	XMLName  xml.Name  `xml:"service_requests"`
	Requests []Created `xml:"request"`
}

// ServiceRequest is one case as GET requests shows it to anyone: no name, no
// ID or phone number, no address or position, free text masked.
type ServiceRequest struct {
	XMLName           xml.Name `json:"-" xml:"request"`
	ServiceRequestID  string   `json:"service_request_id" xml:"service_request_id"`
	Status            string   `json:"status" xml:"status"` // open or closed
	StatusNotes       string   `json:"status_notes" xml:"status_notes"`
	ServiceName       string   `json:"service_name" xml:"service_name"`
	ServiceCode       string   `json:"service_code" xml:"service_code"`
	Description       string   `json:"description" xml:"description"`
	AgencyResponsible string   `json:"agency_responsible" xml:"agency_responsible"`
	ServiceNotice     string   `json:"service_notice" xml:"service_notice"`
	RequestedDatetime string   `json:"requested_datetime" xml:"requested_datetime"`
	UpdatedDatetime   string   `json:"updated_datetime" xml:"updated_datetime"`
	ExpectedDatetime  string   `json:"expected_datetime,omitempty" xml:"expected_datetime,omitempty"`
}

// ServiceRequestsXML is the XML root of GET requests.
type ServiceRequestsXML struct {
	XMLName  xml.Name         `xml:"service_requests"`
	Requests []ServiceRequest `xml:"request"`
}

// ErrorDoc is one error as the specification writes it.
type ErrorDoc struct {
	XMLName     xml.Name `json:"-" xml:"error"`
	Code        int      `json:"code" xml:"code"`
	Description string   `json:"description" xml:"description"`
}

// ErrorsXML is the XML root of an error answer.
type ErrorsXML struct {
	XMLName xml.Name   `xml:"errors"`
	Errors  []ErrorDoc `xml:"error"`
}

// serviceInfo maps a category to a service.
func serviceInfo(c cases.Category, deptName string) ServiceInfo {
	return ServiceInfo{
		ServiceCode: c.Key,
		ServiceName: c.Name,
		Description: fmt.Sprintf(textServiceDescription, deptName, c.LimitDays),
		Metadata:    false,
		Type:        "realtime",
		Keywords:    strings.Join(c.Aliases, ","),
		Group:       deptName,
	}
}
