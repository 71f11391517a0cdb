package report

import "testing"

// The escaping of workflow commands, as the Actions toolkit does it: the message escapes
// '%', CR and LF; a property value also ':' and ',', which would end it.
func TestWorkflowCommandEscaping(t *testing.T) {
	tests := []struct {
		in, data, property string
	}{
		{"plain text", "plain text", "plain text"},
		{"100%", "100%25", "100%25"},
		{"%0A is not a newline", "%250A is not a newline", "%250A is not a newline"},
		{"a\nb", "a%0Ab", "a%0Ab"},
		{"a\r\nb", "a%0D%0Ab", "a%0D%0Ab"},
		{"title: x, y", "title: x, y", "title%3A x%2C y"},
		{"::error::x", "::error::x", "%3A%3Aerror%3A%3Ax"},
		{"", "", ""},
		{"ünïcode ✓", "ünïcode ✓", "ünïcode ✓"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := escapeData(tt.in); got != tt.data {
				t.Errorf("escapeData(%q) = %q, want %q", tt.in, got, tt.data)
			}
			if got := escapeProperty(tt.in); got != tt.property {
				t.Errorf("escapeProperty(%q) = %q, want %q", tt.in, got, tt.property)
			}
		})
	}
}

func TestPlainStep(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Re-run the job.", "Re-run the job."},
		{"Give the job:\n```yaml\npermissions:\n  packages: write\n```\n", "Give the job:\npermissions:\n  packages: write"},
		{"  ```\nonly code\n  ```", "only code"},
	}
	for _, tt := range tests {
		if got := plainStep(tt.in); got != tt.want {
			t.Errorf("plainStep(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
