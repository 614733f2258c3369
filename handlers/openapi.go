package handlers

import (
	_ "embed"
	"net/http"

	"github.com/gin-gonic/gin"
)

// OpenAPI is the OpenAPI 3 document of the staff JSON API (/api/...) and of
// Open311 GeoReport v2 (/open311/v2/...), served at /api/openapi.json. Tests
// validate it and every documented endpoint's real answers against it
// (handlers/openapi_test.go).
//
//go:embed openapi.json
var OpenAPI []byte

// openAPI serves the document to anyone: it describes, it opens nothing.
func openAPI(c *gin.Context) {
	c.Header("Cache-Control", "no-cache")
	c.Data(http.StatusOK, "application/json; charset=utf-8", OpenAPI)
}
